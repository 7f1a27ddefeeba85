import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { http } from '../../helpers/hostile-tar/routes.js';
import { tar, type TarWriter } from '../../helpers/hostile-tar/tar.js';
import { diff, makeVictim, snapshot, type Snapshot, type Victim } from '../../helpers/hostile-tar/victim.js';

/**
 * Issue 24: `docker cp - ctr:DIR` with entries that point outside (`../`, absolute names,
 * symlinks, hardlinks) does what dockerd 20.10 does with the same archive (measured side by side
 * on a private dockerd, docs/compatibility.md): into `/` every entry is held inside the
 * container's root; into a deeper directory, names and relative link targets that climb out of it
 * are refused as docker's breakout check refuses them. Either way the host stays as it was.
 */
describe('docker cp - of a hostile archive', () => {
  let d: TestDaemon;
  let base: string;
  let victim: Victim;
  let baseline: Snapshot;
  let hostPasswd: { ino: number; nlink: number; mtimeMs: number };

  /** One entry of `docker cp ctr:path -`: its type, link target and body. */
  const entryOf = async (ctr: string, path: string): Promise<{ type: string; linkname: string; body: string } | undefined> => {
    const got = await http({ socketPath: d.socket, method: 'GET', path: `/v1.41/containers/${ctr}/archive?path=${encodeURIComponent(path)}` });
    if (got.status === 404) return undefined;
    assert.equal(got.status, 200, got.body.toString());
    const extract = tarStream.extract();
    Readable.from([got.body]).pipe(extract);
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
      return { type: entry.header.type ?? '', linkname: entry.header.linkname ?? '', body: Buffer.concat(chunks).toString() };
    }
    return undefined;
  };
  const cpIn = (ctr: string, dest: string, t: TarWriter): ReturnType<TestDaemon['docker']> => d.docker(['cp', '-', `${ctr}:${dest}`], { input: t.end().bytes() });
  const fresh = async (name: string): Promise<string> => {
    ok(await d.docker(['create', '--name', name, '--network', 'none', 'busybox', 'true']), 'create');
    return name;
  };
  const hostUnchanged = async (): Promise<void> => {
    assert.deepEqual(diff(baseline, await snapshot(victim)), [], 'the host around the victim is unchanged');
    const now = await stat('/etc/passwd');
    assert.deepEqual({ ino: now.ino, nlink: now.nlink, mtimeMs: now.mtimeMs }, hostPasswd, "the host's /etc/passwd is untouched");
  };

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    base = await mkdtemp(join(tmpdir(), 'berth-cp-hostile-'));
    await mkdir(join(base, 'around'));
    victim = await makeVictim(join(base, 'around'));
    baseline = await snapshot(victim);
    const p = await stat('/etc/passwd');
    hostPasswd = { ino: p.ino, nlink: p.nlink, mtimeMs: p.mtimeMs };
  });

  after(async () => {
    const ids = (await d?.docker(['ps', '-aq']))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    await d?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('`../` names: into / they stop at the container root; into /tmp they are refused like dockerd', async () => {
    const c = await fresh('dotdot');
    ok(await cpIn(c, '/', tar().file('../../x-dotdot', 'dotdot').file('a/../../../x-inner', 'inner').file(`../../../..${victim.dir}/file.txt`, 'not the host')), 'cp into /');
    assert.equal((await entryOf(c, '/x-dotdot'))?.body, 'dotdot');
    assert.equal((await entryOf(c, '/x-inner'))?.body, 'inner');
    assert.equal((await entryOf(c, `${victim.dir}/file.txt`))?.body, 'not the host', "the victim's path made inside the container");
    const refused = await cpIn(c, '/tmp', tar().file('../../x-tmp', 'no'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /"\.\.\/\.\.\/x-tmp" is outside of the extraction directory "\/tmp"/);
    assert.equal(await entryOf(c, '/x-tmp'), undefined);
    await hostUnchanged();
  });

  it('absolute names land below the destination: /etc/x into / is the container\'s /etc/x, into /tmp it is /tmp/etc/x', async () => {
    const c = await fresh('absolute');
    ok(await cpIn(c, '/', tar().file('/etc/x-abs', 'abs').file(`${victim.dir}/file.txt`, 'abs victim')), 'cp into /');
    ok(await cpIn(c, '/tmp', tar().file('/etc/x-abs', 'abs in tmp')), 'cp into /tmp');
    assert.equal((await entryOf(c, '/etc/x-abs'))?.body, 'abs');
    assert.equal((await entryOf(c, '/tmp/etc/x-abs'))?.body, 'abs in tmp');
    assert.equal((await entryOf(c, `${victim.dir}/file.txt`))?.body, 'abs victim');
    await hostUnchanged();
  });

  it('symlinks pointing out are made as links; writes through them land inside the container', async () => {
    const c = await fresh('symlinks');
    ok(await cpIn(c, '/tmp', tar().symlink('pw', '/etc/passwd').symlink('vic', `${victim.dir}/file.txt`).symlink('etcl', '/etc').file('etcl/x-through', 'through')), 'cp into /tmp');
    assert.deepEqual(await entryOf(c, '/tmp/pw'), { type: 'symlink', linkname: '/etc/passwd', body: '' });
    assert.equal((await entryOf(c, '/tmp/vic'))?.linkname, `${victim.dir}/file.txt`);
    // The write through /tmp/etcl went to the container's /etc, as docker's chrooted untar does.
    assert.equal((await entryOf(c, '/etc/x-through'))?.body, 'through');
    // An archive that then writes through the link to the host's passwd writes the container's.
    ok(await cpIn(c, '/', tar().symlink('pw2', '/etc/passwd').file('pw2', 'replaces the link')), 'a file over the link');
    assert.equal((await entryOf(c, '/pw2'))?.type, 'file', 'a file entry replaces the link, as in docker');
    // A relative target climbing out of the destination is refused, as docker's breakout check does.
    const refused = await cpIn(c, '/tmp', tar().symlink('up', '../../../../etc').file('up/x-up', 'no'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /symlink "\/tmp\/up" -> "\.\.\/\.\.\/\.\.\/\.\.\/etc" points outside of the extraction directory "\/tmp"/);
    assert.equal(await entryOf(c, '/tmp/up'), undefined);
    // A write through a link to a path the container lacks (the victim's host directory) fails
    // as in docker's untar, after the link itself was made: nothing is made where it points.
    const dangling = await cpIn(c, '/tmp', tar().symlink('vd', victim.dir).file('vd/file.txt', 'no'));
    assert.notEqual(dangling.code, 0);
    assert.match(dangling.stderr, new RegExp(`cannot extract "/tmp/vd/file.txt": /tmp/vd is a symlink to a path that does not exist in the container`));
    assert.equal((await entryOf(c, '/tmp/vd'))?.linkname, victim.dir);
    assert.equal(await entryOf(c, `${victim.dir}/file.txt`), undefined);
    // Into the root the same link stays inside it (`..` stops at the root).
    ok(await cpIn(c, '/', tar().symlink('up', '../../../../etc').file('up/x-up', 'up')), 'cp into /');
    assert.equal((await entryOf(c, '/etc/x-up'))?.body, 'up');
    await hostUnchanged();
  });

  it('a running container gets the same: held inside its root through /proc/<pid>/root', async () => {
    ok(await d.docker(['run', '-d', '--name', 'live', '--network', 'none', 'busybox', 'sleep', '300']), 'run');
    ok(await cpIn('live', '/', tar().file('../../x-live', 'live').file('/etc/x-live-abs', 'abs').symlink('etcl', '/etc').file('etcl/x-live-through', 'through').hardlink('hl', '../../etc/passwd')), 'cp into /');
    const seen = ok(await d.docker(['exec', 'live', 'cat', '/x-live', '/etc/x-live-abs', '/etc/x-live-through']), 'cat');
    assert.equal(seen.stdout, 'liveabsthrough');
    assert.equal(ok(await d.docker(['exec', 'live', 'sh', '-c', 'test /hl -ef /etc/passwd && echo same']), 'same inode').stdout, 'same\n');
    const refused = await cpIn('live', '/tmp', tar().symlink('up', '../../../../etc'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /points outside of the extraction directory "\/tmp"/);
    await hostUnchanged();
  });

  it('hardlinks link the container\'s files, never the host\'s', async () => {
    const c = await fresh('hardlinks');
    const passwd = (await entryOf(c, '/etc/passwd'))?.body;
    assert.ok(passwd);
    ok(await cpIn(c, '/', tar().hardlink('hl-abs', '/etc/passwd').hardlink('hl-up', '../../../etc/passwd')), 'cp into /');
    assert.equal((await entryOf(c, '/hl-abs'))?.body, passwd, "the container's passwd, not the host's");
    assert.equal((await entryOf(c, '/hl-up'))?.body, passwd);
    for (const [dest, t, why] of [
      ['/tmp', tar().hardlink('hl', '../../../etc/passwd'), /outside of the extraction directory "\/tmp"/],
      ['/tmp', tar().hardlink('hl', '/etc/passwd'), /points at "\/tmp\/etc\/passwd", which is not in the archive's root/],
      ['/', tar().hardlink('hl', `${victim.dir}/file.txt`), /which is not in the archive's root/],
    ] as const) {
      const refused = await cpIn(c, dest, t);
      assert.notEqual(refused.code, 0, `${dest}: ${refused.stdout}`);
      assert.match(refused.stderr, why);
    }
    await hostUnchanged();
  });
});
