import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError } from '../../core/errors.js';
import { ensureWorkingDir, replaceInitLayerDirs, resolveContainerPath, resolveMountDestinations } from './rootfs-paths.js';
import type { RootReadLink } from '../../drivers/host/resolve-in-root.js';

/** A rootfs as a table of its symlinks, container path → link text. */
function links(table: Record<string, string>): RootReadLink {
  return (path) => Promise.resolve(table[path] ?? null);
}

describe('resolveContainerPath', () => {
  it('follows absolute and relative links inside the root', async () => {
    const fs = links({ '/data': '/srv/real', '/rel': '../srv/real', '/srv/real/sub': 'x' });
    assert.equal(await resolveContainerPath('/data', fs), '/srv/real');
    assert.equal(await resolveContainerPath('/rel', fs), '/srv/real');
    assert.equal(await resolveContainerPath('/data/sub/deeper', fs), '/srv/real/x/deeper');
    assert.equal(await resolveContainerPath('/plain/path/', fs), '/plain/path');
  });

  it('never climbs above the root, however many .. a link has', async () => {
    const fs = links({ '/data': '../../../../etc', '/deep/up': '../../../../../../usr/lib' });
    assert.equal(await resolveContainerPath('/data', fs), '/etc');
    assert.equal(await resolveContainerPath('/deep/up/x', fs), '/usr/lib/x');
    assert.equal(await resolveContainerPath('/../../a', fs), '/a');
  });

  it('returns / for a path that resolves to the root', async () => {
    assert.equal(await resolveContainerPath('/data', links({ '/data': '/' })), '/');
    assert.equal(await resolveContainerPath('/data', links({ '/data': '../../..' })), '/');
  });

  it('does not look below /dev, /proc and /sys: the runtime mounts fresh filesystems there', async () => {
    const looked: string[] = [];
    const fs: RootReadLink = (p) => {
      looked.push(p);
      return Promise.resolve(p === '/dev/mqueue' || p === '/sys/fs' ? '/elsewhere' : p === '/data' ? '/dev/thing' : null);
    };
    assert.equal(await resolveContainerPath('/dev/mqueue', fs), '/dev/mqueue');
    assert.equal(await resolveContainerPath('/sys/fs/cgroup', fs), '/sys/fs/cgroup');
    assert.equal(await resolveContainerPath('/data', fs), '/dev/thing');
    assert.deepEqual(looked, ['/dev', '/sys', '/data', '/dev']);
  });

  it('refuses a link loop', async () => {
    await assert.rejects(resolveContainerPath('/a/b', links({ '/a': '/b', '/b': '/a' })), InvalidParameterError);
  });
});

describe('rootfs paths on disk', () => {
  let root = '';
  let victim = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-rootfs-paths-'));
    victim = join(root, 'victim');
    await mkdir(join(victim, 'etc'), { recursive: true });
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'srv/real'), { recursive: true });
    await mkdir(join(rootfs, 'opt'), { recursive: true });
    await symlink('/', join(rootfs, 'dev'));
    await symlink('/x', join(rootfs, 'proc'));
    await writeFile(join(rootfs, 'sys'), 'a file');
    await symlink('/srv/real', join(rootfs, 'data'));
    await symlink(`../../../../../../../..${victim}/etc`, join(rootfs, 'escape'));
    await symlink('/opt/app', join(rootfs, 'w'));
    await symlink(`${victim}/made`, join(rootfs, 'hostlink'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('replaces a symlinked or non-directory /dev, /proc and /sys with directories, as the init layer does', async () => {
    const rootfs = join(root, 'rootfs');
    await replaceInitLayerDirs(rootfs);
    for (const d of ['dev', 'proc', 'sys']) assert.ok((await lstat(join(rootfs, d))).isDirectory(), d);
    await replaceInitLayerDirs(rootfs);
  });

  it('resolves mount destinations inside the rootfs and refuses one that resolves to the root', async () => {
    const rootfs = join(root, 'rootfs');
    const mounts = await resolveMountDestinations(
      [
        { destination: '/data', type: 'bind', source: '/v1', options: ['rbind'] },
        { destination: '/escape/sub', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/proc', type: 'proc', source: 'proc' },
      ],
      rootfs,
    );
    assert.deepEqual(mounts.map((m) => m.destination), ['/srv/real', `${victim}/etc/sub`, '/proc']);
    await symlink('..', join(rootfs, 'up'));
    await assert.rejects(resolveMountDestinations([{ destination: '/up', type: 'bind', source: '/v' }], rootfs), /resolves to the container's root/);
  });

  it('makes a symlinked WORKDIR inside the rootfs, never on the host', async () => {
    const rootfs = join(root, 'rootfs');
    await ensureWorkingDir(rootfs, '/w');
    assert.ok((await lstat(join(rootfs, 'opt/app'))).isDirectory());
    await ensureWorkingDir(rootfs, '/hostlink/sub');
    assert.ok((await lstat(join(rootfs, victim, 'made/sub'))).isDirectory());
    await assert.rejects(lstat(join(victim, 'made')), { code: 'ENOENT' });
    assert.equal(await readlink(join(rootfs, 'w')), '/opt/app');
    await writeFile(join(rootfs, 'file'), '');
    await assert.rejects(ensureWorkingDir(rootfs, '/file'), /Cannot mkdir: \/file is not a directory/);
  });
});
