/**
 * Images whose VOLUME, WORKDIR, /dev, /proc, /sys or /tmp are symlinks (issue 21). dockerd 20.10
 * runs them all: its init layer makes /dev, /proc and /sys real directories, runc resolves mount
 * destinations inside the root (securejoin), a volume is filled from the image's content at the
 * resolved path, and a symlinked WORKDIR is made inside the root. Links that climb above the root
 * or point at a host path stay inside the container: the victim directory on the host never changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, run } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

const RUNTIMES = ['crun', 'runc'];

describe('images with symlinked paths', () => {
  let d: TestDaemon;
  let work = '';
  let victim = '';
  const images: string[] = [];
  const volumes: string[] = [];

  /** A victim directory on the host that links in the images point at. */
  const victimState = async (): Promise<string> => JSON.stringify([(await readdir(victim, { recursive: true })).sort(), await readFile(join(victim, 'secret'), 'utf8')]);

  /** An image of busybox's rootfs changed by `edit`, imported with `changes` (docker import -c). */
  const image = async (name: string, edit: (rootfs: string) => Promise<void>, changes: string[]): Promise<string> => {
    const rootfs = join(work, name);
    await cp(join(work, 'base'), rootfs, { recursive: true, verbatimSymlinks: true });
    await edit(rootfs);
    ok(await run('tar', ['-C', rootfs, '-cf', `${rootfs}.tar`, '.']), 'tar');
    ok(await d.docker(['import', ...changes.flatMap((c) => ['-c', c]), `${rootfs}.tar`, `${name}:latest`]), `import ${name}`);
    images.push(name);
    return name;
  };

  const runIn = async (args: string[], what: string): Promise<string> => ok(await d.docker(['run', '--rm', ...args]), what).stdout;

  /** Mount points (field 5 of mountinfo) as the container sees them. */
  const mountPoints = (mountinfo: string): string[] => mountinfo.split('\n').filter((l) => l !== '').map((l) => l.split(' ')[4] ?? '');

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    work = await mkdtemp(join(d.root, 'images-'));
    victim = join(d.root, 'victim');
    await mkdir(join(victim, 'etc'), { recursive: true });
    await writeFile(join(victim, 'secret'), 'host secret\n');
    await writeFile(join(victim, 'etc', 'passwd'), 'host passwd\n');
    ok(await d.docker(['create', '--name', 'base', 'busybox', 'true']), 'create base');
    ok(await d.docker(['export', '-o', join(work, 'base.tar'), 'base']), 'export base');
    ok(await d.docker(['rm', 'base']), 'rm base');
    await mkdir(join(work, 'base'));
    ok(await run('tar', ['-C', join(work, 'base'), '-xf', join(work, 'base.tar')]), 'untar base');
  });

  after(async () => {
    if (d) {
      for (const id of (await d.docker(['ps', '-aq'])).stdout.split('\n').filter((x) => x !== '')) await d.docker(['rm', '-f', '-v', id]);
      for (const v of volumes) await d.docker(['volume', 'rm', '-f', v]);
      for (const i of images) await d.docker(['rmi', '-f', i]);
      await d.stop();
    }
  });

  test('VOLUMEs that are absolute, relative and escaping symlinks mount inside the root, filled from the image', async () => {
    const before = await victimState();
    const name = await image(
      'vol',
      async (r) => {
        await mkdir(join(r, 'srv/real'), { recursive: true });
        await mkdir(join(r, 'srv/real2'), { recursive: true });
        await writeFile(join(r, 'srv/real/f'), 'img\n');
        await writeFile(join(r, 'srv/real2/g'), 'img2\n');
        await symlink('/srv/real', join(r, 'data'));
        await symlink('../srv/real2', join(r, 'rel'));
        // Climbs far above the root, then names the host's victim directory.
        await symlink(`../../../../../../../..${victim}`, join(r, 'escape'));
      },
      ['VOLUME ["/data", "/rel", "/escape"]'],
    );
    for (const runtime of RUNTIMES) {
      const out = await runIn(['--runtime', runtime, name, 'sh', '-c', 'cat /srv/real/f /srv/real2/g; ls /escape; echo planted > /escape/planted; echo ---; cat /proc/self/mountinfo'], `run ${name} (${runtime})`);
      const [files = '', mountinfo = ''] = out.split('---\n');
      // The image's content was copied into each volume; nothing of the host's victim directory was.
      assert.equal(files, 'img\nimg2\n', runtime);
      const points = mountPoints(mountinfo);
      for (const p of ['/srv/real', '/srv/real2', victim]) assert.ok(points.includes(p), `${runtime}: ${p} in ${points.join(' ')}`);
      for (const p of ['/data', '/rel', '/escape']) assert.ok(!points.includes(p), `${runtime}: nothing mounted on the link ${p}`);
    }
    // docker shows the destinations as the user gave them.
    const id = ok(await d.docker(['create', name, 'true']), 'create').stdout.trim();
    const mounts = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .Mounts}}', id]), 'inspect').stdout) as Array<{ Destination: string }>;
    assert.deepEqual(mounts.map((m) => m.Destination).sort(), ['/data', '/escape', '/rel']);
    ok(await d.docker(['rm', '-v', id]), 'rm');
    assert.equal(await victimState(), before, 'the host victim directory is unchanged');
  });

  test('user volumes and tmpfs on symlinked destinations land where docker puts them', async () => {
    const before = await victimState();
    const name = await image(
      'uservol',
      async (r) => {
        await mkdir(join(r, 'srv/real'), { recursive: true });
        await writeFile(join(r, 'srv/real/f'), 'img\n');
        await symlink('/srv/real', join(r, 'data'));
        await symlink(`../../../../../../..${victim}/etc`, join(r, 'escape'));
      },
      [],
    );
    const vol = `symlinked-paths-${process.pid}`;
    volumes.push(vol);
    const out = await runIn(['-v', `${vol}:/data`, '--tmpfs', '/escape', '--mount', 'type=volume,dst=/srv/real/sub', name, 'sh', '-c', 'cat /data/f; echo x > /escape/x; cat /proc/self/mountinfo'], 'run with -v, --tmpfs and --mount');
    assert.match(out, /^img\n/);
    const points = mountPoints(out.split('\n').slice(1).join('\n'));
    for (const p of ['/srv/real', `${victim}/etc`, '/srv/real/sub']) assert.ok(points.includes(p), `${p} in ${points.join(' ')}`);
    // The named volume was filled from the image's /srv/real, through the link.
    const data = ok(await d.docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', vol]), 'volume inspect').stdout.trim();
    assert.equal(await readFile(join(data, 'f'), 'utf8'), 'img\n');
    assert.equal(await victimState(), before, 'the host victim directory is unchanged');
  });

  test('a WORKDIR that is a symlink to a missing directory is made inside the root', async () => {
    const before = await victimState();
    const name = await image(
      'wd',
      async (r) => {
        await mkdir(join(r, 'opt'));
        await symlink('/opt/app', join(r, 'w'));
        await symlink(`${victim}/made`, join(r, 'hostw'));
      },
      ['WORKDIR /w'],
    );
    for (const runtime of RUNTIMES) {
      assert.equal(await runIn(['--runtime', runtime, name, 'pwd'], `run ${name} (${runtime})`), '/opt/app\n');
      assert.equal(await runIn(['--runtime', runtime, '-w', '/hostw/sub', name, 'sh', '-c', 'pwd; touch here'], `run -w /hostw/sub (${runtime})`), `${victim}/made/sub\n`);
    }
    assert.equal(await victimState(), before, 'the host victim directory is unchanged');
  });

  test('/dev, /proc and /sys that are symlinks become real kernel filesystems; a symlinked /tmp is followed', async () => {
    const before = await victimState();
    const cases: Array<[string, (r: string) => Promise<void>]> = [
      ['dev-root', async (r) => { await rm(join(r, 'dev'), { recursive: true }); await symlink('/', join(r, 'dev')); }],
      ['dev-away', async (r) => { await rm(join(r, 'dev'), { recursive: true }); await mkdir(join(r, 'somewhere')); await symlink('/somewhere', join(r, 'dev')); }],
      ['proc-link', async (r) => { await rm(join(r, 'proc'), { recursive: true }); await mkdir(join(r, 'x')); await symlink('/x', join(r, 'proc')); }],
      ['sys-host', async (r) => { await rm(join(r, 'sys'), { recursive: true }); await symlink(victim, join(r, 'sys')); }],
      ['tmp-link', async (r) => { await rm(join(r, 'tmp'), { recursive: true }); await mkdir(join(r, 'var/tmp'), { recursive: true }); await symlink('/var/tmp', join(r, 'tmp')); }],
    ];
    const script = [
      'test -c /dev/null && test -d /dev/pts && echo dev-ok',
      'grep -q "^Name:" /proc/self/status && echo proc-ok',
      'test -d /sys/kernel && echo sys-ok',
      'echo t > /tmp/t && cat /tmp/t',
      'for p in / /proc /dev /sys; do grep -q " $p [^ ]* " /proc/self/mountinfo && echo "mounted $p"; done',
    ].join('; ');
    const expected = 'dev-ok\nproc-ok\nsys-ok\nt\nmounted /\nmounted /proc\nmounted /dev\nmounted /sys\n';
    for (const [name, edit] of cases) {
      await image(name, edit, []);
      for (const runtime of RUNTIMES) assert.equal(await runIn(['--runtime', runtime, name, 'sh', '-c', script], `run ${name} (${runtime})`), expected, `${name} (${runtime})`);
    }
    assert.equal(await runIn(['tmp-link', 'sh', '-c', 'touch /tmp/y; ls /var/tmp'], 'tmp-link'), 'y\n');
    assert.equal(await victimState(), before, 'the host victim directory is unchanged');
  });

  test('a VOLUME whose link resolves to the root itself is refused, not mounted over the whole rootfs', async () => {
    const name = await image('vol-root', (r) => symlink('../../..', join(r, 'data')), ['VOLUME /data']);
    const r = await d.docker(['run', '--rm', name, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid mount destination \/data: it resolves to the container's root/);
  });
});
