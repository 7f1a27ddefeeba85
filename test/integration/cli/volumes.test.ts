import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';
import { TestDaemon, type RunResult } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { strayMountsUnder } from '../../helpers/mounts.js';

const fails = (r: RunResult, what: string, message: RegExp): void => {
  assert.notEqual(r.code, 0, `${what} should fail: ${r.stdout}`);
  assert.match(r.stderr, message, what);
};

describe('volumes and mounts', () => {
  let d: TestDaemon;
  let host: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    host = await mkdtemp(join(tmpdir(), 'berth-vol-host-'));
  });
  after(async () => {
    await d.docker(['volume', 'prune', '-af']).catch(() => undefined);
    await removeContainersAndStop(d);
    if (host) await rm(host, { recursive: true, force: true });
  });

  for (const cli of ['docker', 'berth'] as const) {
    const x = (args: string[]): Promise<RunResult> => (cli === 'docker' ? d.docker(args) : d.berth(args));

    test(`${cli}: a named volume written by one container is read by the next, and survives rm`, async () => {
      const vol = `data-${cli}`;
      ok(await x(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/f']), 'write');
      assert.equal(ok(await x(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'cat', '/data/f']), 'read').stdout, 'kept\n');
      const inspect = JSON.parse(ok(await x(['volume', 'inspect', vol]), 'inspect').stdout) as Array<Record<string, unknown>>;
      assert.equal(inspect[0]?.Name, vol);
      assert.equal(inspect[0]?.Driver, 'local');
      assert.equal(inspect[0]?.Scope, 'local');
      assert.equal(inspect[0]?.Mountpoint, join(d.dataRoot, 'volumes', vol, '_data'));
      const ls = ok(await x(['volume', 'ls']), 'ls').stdout;
      assert.match(ls, /^DRIVER\s+VOLUME NAME\n/);
      assert.match(ls, new RegExp(`local\\s+${vol}\\n`));
      assert.match(ok(await x(['volume', 'ls', '-q', '--filter', `name=${vol}`]), 'ls -q').stdout, new RegExp(`^${vol}\\n$`));
      ok(await x(['volume', 'rm', vol]), 'volume rm');
    });

    test(`${cli}: a :ro bind mount refuses writes, and remount inside fails`, async () => {
      await writeFile(join(host, 'hello'), 'from host\n');
      const r = await x(['run', '--rm', '-v', `${host}:/h:ro`, 'busybox', 'sh', '-c', 'cat /h/hello; touch /h/new']);
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, 'from host\n');
      assert.match(r.stderr, /Read-only file system/);
      const re = await x(['run', '--rm', '-v', `${host}:/h:ro`, 'busybox', 'sh', '-c', 'mount -o remount,rw /h && touch /h/new']);
      assert.notEqual(re.code, 0);
      await assert.rejects(stat(join(host, 'new')));
    });

    test(`${cli}: --volumes-from shares, --tmpfs is a tmpfs of the given size`, async () => {
      const src = `src-${cli}`;
      ok(await x(['create', '--name', src, '-v', '/shared', 'busybox', 'true']), 'create');
      ok(await x(['run', '--rm', '--volumes-from', src, 'busybox', 'sh', '-c', 'echo s > /shared/x']), 'write shared');
      assert.equal(ok(await x(['run', '--rm', '--volumes-from', `${src}:ro`, 'busybox', 'cat', '/shared/x']), 'read shared').stdout, 's\n');
      const mounts = ok(await x(['run', '--rm', '--tmpfs', '/run:size=1m', 'busybox', 'grep', ' /run ', '/proc/mounts']), 'tmpfs').stdout;
      assert.match(mounts, /^tmpfs \/run tmpfs .*size=1024k/);
      ok(await x(['rm', '-v', src]), 'rm -v');
    });
  }

  test('an image VOLUME is populated from the image, and rm -v removes the anonymous volume', async () => {
    ok(await d.docker(['run', '--name', 'seed', 'busybox', 'sh', '-c', 'mkdir /data && echo seeded > /data/f']), 'seed');
    ok(await d.docker(['commit', '-c', 'VOLUME /data', 'seed', 'withvol']), 'commit');
    ok(await d.docker(['run', '--name', 'usevol', 'withvol', 'cat', '/data/f']), 'run withvol');
    const mounts = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .Mounts}}', 'usevol']), 'inspect').stdout) as Array<Record<string, string>>;
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0]?.Type, 'volume');
    assert.equal(mounts[0]?.Destination, '/data');
    const name = mounts[0]?.Name ?? '';
    assert.match(name, /^[a-f0-9]{64}$/);
    assert.equal(await readFile(join(d.dataRoot, 'volumes', name, '_data', 'f'), 'utf8'), 'seeded\n');
    ok(await d.docker(['rm', '-v', 'usevol', 'seed']), 'rm -v');
    await assert.rejects(stat(join(d.dataRoot, 'volumes', name)));
  });

  test('volumes survive a daemon kill -9 and restart; a volume in use cannot be removed', async () => {
    ok(await d.docker(['run', '--name', 'keeper', '-v', 'survivor:/v', 'busybox', 'sh', '-c', 'echo alive > /v/f']), 'write');
    const r = await d.docker(['volume', 'rm', 'survivor']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /remove survivor: volume is in use - \[[a-f0-9]{64}\]/);
    await d.halt('SIGKILL');
    await d.launch();
    assert.equal(ok(await d.docker(['run', '--rm', '-v', 'survivor:/v', 'busybox', 'cat', '/v/f']), 'read after restart').stdout, 'alive\n');
    ok(await d.docker(['rm', 'keeper']), 'rm');
    ok(await d.berth(['volume', 'rm', 'survivor']), 'volume rm');
  });

  test('bad input: clear errors, nothing half-made, no stray mounts', async () => {
    const before = await readdir(join(d.dataRoot, 'volumes'));
    fails(await d.docker(['run', '--rm', '-v', '/x:relative', 'busybox', 'true']), '-v /x:relative', /must be an absolute path/);
    fails(await d.docker(['run', '--rm', '-v', `${host}:/y:zz`, 'busybox', 'true']), '-v mode zz', /invalid mode: zz/);
    fails(await d.docker(['volume', 'create', 'bad/name']), 'invalid name', /includes invalid characters for a local volume name/);
    fails(await d.berth(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${join(host, 'missing')}`, 'nodev']), 'missing device', /no such file or directory/);
    fails(await d.docker(['run', '--rm', '--mount', 'type=volume,src=half,dst=/v', '-v', `${host}:/v`, 'busybox', 'true']), 'duplicate', /Duplicate mount point/);
    const missing = `type=volume,src=optvol,dst=/v,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=${join(host, 'missing')}`;
    fails(await d.docker(['run', '--rm', '--mount', missing, 'busybox', 'true']), 'volume-opt missing device', /no such file or directory/);
    fails(await d.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'o=bogus', 'badtmpfs']), 'bad tmpfs option', /unknown option "bogus"/);
    fails(await d.docker(['volume', 'create', '--driver', 'nfs', 'other']), 'other driver', /error looking up volume plugin nfs: plugin "nfs" not found/);
    assert.deepEqual(await readdir(join(d.dataRoot, 'volumes')), before);
    assert.deepEqual(await strayMountsUnder(d.root), []);
  });

  test('a tmpfs volume is a tmpfs of its size, unmounted when removed; an o=bind volume shows the device', async () => {
    ok(await d.berth(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m', 'tv']), 'create tmpfs volume');
    const mounts = ok(await d.berth(['run', '--rm', '-v', 'tv:/t', 'busybox', 'grep', ' /t ', '/proc/mounts']), 'run').stdout;
    assert.match(mounts, /^tmpfs \/t tmpfs .*size=2048k/);
    ok(await d.berth(['volume', 'rm', 'tv']), 'rm');
    await writeFile(join(host, 'bound'), 'via device\n');
    ok(await d.docker(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${host}`, 'bv']), 'create bind volume');
    assert.equal(ok(await d.docker(['run', '--rm', '-v', 'bv:/b', 'busybox', 'cat', '/b/bound']), 'read').stdout, 'via device\n');
    ok(await d.docker(['volume', 'rm', 'bv']), 'rm bind volume');
    assert.equal(await readFile(join(host, 'bound'), 'utf8'), 'via device\n');
    assert.deepEqual(await strayMountsUnder(d.root), []);
  });

  test('volume prune removes unused anonymous volumes, and named ones with --all', async () => {
    ok(await d.docker(['volume', 'create', 'named-prune']), 'create');
    ok(await d.docker(['create', '--name', 'anon', '-v', '/a', 'busybox', 'true']), 'create anon');
    ok(await d.docker(['rm', 'anon']), 'rm without -v');
    ok(await d.docker(['volume', 'prune', '-f']), 'prune');
    assert.match(ok(await d.docker(['volume', 'ls', '-q']), 'ls').stdout, /^named-prune\n$/);
    ok(await d.berth(['volume', 'prune', '-a', '-f']), 'prune -a');
    assert.equal(ok(await d.docker(['volume', 'ls', '-q']), 'ls').stdout, '');
  });
});
