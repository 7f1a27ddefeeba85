import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { strayMountsUnder } from '../../helpers/mounts.js';
import { http } from '../../helpers/hostile-tar/routes.js';
import { tar } from '../../helpers/hostile-tar/tar.js';
import { diff, makeVictim, snapshot, type Snapshot, type Victim } from '../../helpers/hostile-tar/victim.js';

const API = '/v1.41';

/**
 * Issue 24: the archive API (docker cp, HEAD/GET/PUT archive) on a created or exited container
 * sees its binds and volumes, as dockerd's mountVolumes makes it; symlinks in a volume still
 * lead into the container, never to the host; nothing stays mounted afterwards.
 */
describe('docker cp on a stopped container sees its volumes', () => {
  let d: TestDaemon;
  let base: string;
  let bindDir: string;
  let victim: Victim;
  let baseline: Snapshot;
  const stat = async (ctr: string, path: string): Promise<{ status: number; stat?: Record<string, unknown> }> => {
    const got = await http({ socketPath: d.socket, method: 'HEAD', path: `${API}/containers/${ctr}/archive?path=${encodeURIComponent(path)}` });
    const header = got.headers['x-docker-container-path-stat'];
    return { status: got.status, ...(typeof header === 'string' ? { stat: JSON.parse(Buffer.from(header, 'base64').toString()) as Record<string, unknown> } : {}) };
  };
  const cat = async (ctr: string, path: string): Promise<string> => {
    const got = await d.docker(['cp', `${ctr}:${path}`, '-']);
    assert.equal(got.code, 0, `cp ${ctr}:${path}: ${got.stderr}`);
    // The tar of a text file is ASCII: the first entry's body.
    const extract = tarStream.extract();
    Readable.from([Buffer.from(got.stdout)]).pipe(extract);
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString();
    }
    throw new Error(`cp ${ctr}:${path} gave an empty tar`);
  };

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    base = await mkdtemp(join(tmpdir(), 'berth-cp-vol-'));
    bindDir = join(base, 'bind');
    await mkdir(bindDir);
    await writeFile(join(bindDir, 'b.txt'), 'from the bind\n');
    await mkdir(join(base, 'around-victim'));
    victim = await makeVictim(join(base, 'around-victim'));
    baseline = await snapshot(victim);
    ok(await d.docker(['volume', 'create', 'cpvol']), 'volume create');
    // The volume gets a file, a symlink out to the victim by absolute path, one climbing with `..`, and a directory.
    ok(
      await d.docker(['run', '--name', 'writer', '--network', 'none', '-v', 'cpvol:/data', 'busybox', 'sh', '-c',
        `echo in the volume > /data/f; mkdir /data/sub; ln -s ${victim.dir}/file.txt /data/hostlink; ln -s ../../../../../../../.. /data/up; ln -s ${victim.dir} /data/hostdir`]),
      'writer',
    );
    ok(await d.docker(['create', '--name', 'created', '--network', 'none', '-v', 'cpvol:/data', '-v', `${bindDir}:/bind:ro`, '-v', '/anon', 'busybox', 'true']), 'create');
    ok(await d.docker(['run', '--name', 'exited', '--network', 'none', '-v', 'cpvol:/data', '-v', `${bindDir}:/rwbind`, 'busybox', 'true']), 'run exited');
  });

  after(async () => {
    await d?.docker(['rm', '-f', 'writer', 'created', 'exited']);
    await d?.docker(['volume', 'rm', 'cpvol']);
    await d?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('copies out of a named volume and a bind of a created and of an exited container', async () => {
    assert.equal(await cat('created', '/data/f'), 'in the volume\n');
    assert.equal(await cat('exited', '/data/f'), 'in the volume\n');
    assert.equal(await cat('created', '/bind/b.txt'), 'from the bind\n');
    assert.equal(await cat('exited', '/rwbind/b.txt'), 'from the bind\n');
    const head = await stat('created', '/data/f');
    assert.equal(head.status, 200);
    assert.deepEqual({ ...head.stat, mtime: '' }, { name: 'f', size: 14, mode: 0o644, mtime: '', linkTarget: '' });
    // A symlink in the volume is described with its target resolved inside the container.
    assert.equal((await stat('exited', '/data/up')).stat?.linkTarget, '/');
  });

  it('copies into a volume and a writable bind of a stopped container; a read-only bind refuses', async () => {
    const src = join(base, 'put.txt');
    await writeFile(src, 'put while stopped\n');
    ok(await d.docker(['cp', src, 'created:/data/sub/']), 'cp into the volume of a created container');
    ok(await d.docker(['cp', src, 'exited:/rwbind/']), 'cp into the bind of an exited container');
    assert.equal(await readFile(join(bindDir, 'put.txt'), 'utf8'), 'put while stopped\n');
    const seen = ok(await d.docker(['run', '--rm', '--network', 'none', '-v', 'cpvol:/data', 'busybox', 'cat', '/data/sub/put.txt']), 'read back');
    assert.equal(seen.stdout, 'put while stopped\n');
    const ro = await d.docker(['cp', src, 'created:/bind/']);
    assert.notEqual(ro.code, 0, 'a read-only bind is not written');
    assert.match(ro.stderr, /mounted volume is marked read-only/);
  });

  it('--read-only: the rootfs refuses a copy, a writable volume in it takes it (docker\'s checkWritablePath)', async () => {
    ok(await d.docker(['create', '--name', 'readonly', '--read-only', '--network', 'none', '-v', 'cpvol:/data', 'busybox', 'true']), 'create');
    try {
      const src = join(base, 'put.txt');
      await writeFile(src, 'into a read-only container\n');
      const refused = await d.docker(['cp', src, 'readonly:/tmp/']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /container rootfs is marked read-only/);
      ok(await d.docker(['cp', src, 'readonly:/data/']), 'cp into the volume');
      assert.equal(await cat('readonly', '/data/put.txt'), 'into a read-only container\n');
    } finally {
      await d.docker(['rm', '-f', 'readonly']);
    }
  });

  it('shows a new anonymous volume with the image content a start would copy into it, and keeps what cp put there', async () => {
    ok(await d.docker(['create', '--name', 'anonetc', '--network', 'none', '-v', '/etc', 'busybox', 'cat', '/etc/passwd', '/etc/put.txt']), 'create');
    try {
      assert.match(await cat('anonetc', '/etc/passwd'), /^root:/);
      const src = join(base, 'put.txt');
      await writeFile(src, 'kept\n');
      ok(await d.docker(['cp', src, 'anonetc:/etc/']), 'cp into the anonymous volume');
      ok(await d.docker(['start', '-a', 'anonetc']), 'start');
      assert.match(ok(await d.docker(['logs', 'anonetc']), 'logs').stdout, /^root:[^]*kept\n$/);
    } finally {
      await d.docker(['rm', '-f', '-v', 'anonetc']);
    }
  });

  it('resolves symlinks in a volume inside the container: never a host file read or written', async () => {
    // /data/hostlink names the victim's file by its host path: inside the container there is none.
    const out = await d.docker(['cp', '-L', 'exited:/data/hostlink', '-']);
    assert.notEqual(out.code, 0);
    assert.equal(out.stdout.includes('victim file'), false);
    // `..` from the volume climbs to the container's root, not the host's.
    const marker = join(base, 'only-here');
    await writeFile(marker, 'container passwd\n');
    ok(await d.docker(['cp', marker, 'exited:/etc/only-here']), 'cp marker');
    assert.equal(await cat('exited', '/data/up/etc/only-here'), 'container passwd\n');
    const src = join(base, 'evil.txt');
    await writeFile(src, 'must stay in the container\n');
    ok(await d.docker(['cp', src, 'exited:/data/up/tmp/']), 'cp through the volume symlink');
    assert.equal(await cat('exited', '/tmp/evil.txt'), 'must stay in the container\n');
    // Through a volume symlink to the victim's host path: made inside the container, if at all.
    await d.docker(['cp', src, 'exited:/data/hostdir/']);
    const tarball = tar().file('via-hostdir/x', 'x').file('../../../x', 'x').end().bytes();
    await d.docker(['cp', '-', 'exited:/data/hostdir'], { input: tarball });
    assert.deepEqual(diff(baseline, await snapshot(victim)), [], 'the host around the victim is unchanged');
  });

  it('leaves nothing mounted and lets the container start right after', async () => {
    assert.deepEqual(await strayMountsUnder(d.dataRoot), []);
    ok(await d.docker(['start', '-a', 'exited']), 'start after cp');
    assert.deepEqual(await strayMountsUnder(d.dataRoot), []);
  });

  it("docker's init layer: export (started or not) and the running container have its placeholders; diff leaves them out", async () => {
    const initEntries = ['.dockerenv', 'dev/console', 'dev/pts/', 'dev/shm/', 'etc/hostname', 'etc/hosts', 'etc/mtab', 'etc/resolv.conf'];
    for (const args of [['create', '--name', 'init-created'], ['run', '--name', 'init-ran']]) {
      const name = args[2] as string;
      ok(await d.docker([...args, '--network', 'none', 'busybox', 'true']), name);
      try {
        // What `docker export` receives (busybox's binary would not survive a text stdout).
        const exported = await http({ socketPath: d.socket, method: 'GET', path: `${API}/containers/${name}/export`, ms: 30_000 });
        assert.equal(exported.status, 200);
        const names = new Map<string, { type: string; mode: number; linkname: string }>();
        const extract = tarStream.extract();
        Readable.from([exported.body]).pipe(extract);
        for await (const entry of extract) {
          names.set(entry.header.name, { type: entry.header.type ?? '', mode: entry.header.mode ?? 0, linkname: entry.header.linkname ?? '' });
          entry.resume();
        }
        for (const e of initEntries) assert.ok(names.has(e), `${name}: export has ${e}`);
        assert.deepEqual(names.get('.dockerenv'), { type: 'file', mode: 0o755, linkname: '' });
        assert.deepEqual(names.get('etc/mtab'), { type: 'symlink', mode: 0o777, linkname: '/proc/mounts' });
        assert.equal(ok(await d.docker(['diff', name]), 'diff').stdout, '', 'the init layer is no change of the container');
      } finally {
        await d.docker(['rm', '-f', name]);
      }
    }
    const inside = ok(await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'test -f /.dockerenv && readlink /etc/mtab']), 'in a container');
    assert.equal(inside.stdout, '/proc/mounts\n');
  });

  it('ps --filter volume= matches a volume name or a destination, as docker', async () => {
    const names = async (filter: string): Promise<string[]> =>
      ok(await d.docker(['ps', '-a', '--format', '{{.Names}}', '--filter', filter]), 'ps').stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(await names('volume=cpvol'), ['created', 'exited', 'writer']);
    assert.deepEqual(await names('volume=/bind'), ['created']);
    assert.deepEqual(await names('volume=nothing-of-the-kind'), []);
  });
});
