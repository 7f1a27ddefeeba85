/**
 * Shared setup of the container-changes tests: a temp dir per test file, a snapshotter of either
 * driver, the image layers and container changes the scenario uses, and a tree description
 * precise enough to compare a container with the image committed from it.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../src/core/run-command.js';
import { mountPoints } from '../../../src/drivers/snapshotter/mountinfo.js';
import { OverlaySnapshotter } from '../../../src/drivers/snapshotter/overlay-snapshotter.js';
import type { Snapshotter } from '../../../src/drivers/snapshotter/snapshotter.js';
import { VfsSnapshotter } from '../../../src/drivers/snapshotter/vfs-snapshotter.js';
import type { ChangesSource } from '../../../src/drivers/snapshotter/diff/change-types.js';
import { dir, file, hardlink, symlink as symlinkEntry, type FixtureEntry } from '../snapshotter/tar-fixture.js';

export type DriverName = 'overlay2' | 'vfs';
export const DRIVER_NAMES: readonly DriverName[] = ['overlay2', 'vfs'];

export async function makeChangesTestDir(): Promise<string> {
  return await mkdtemp('/tmp/berth-test-chg-');
}

/** Unmounts whatever is still mounted below `base` (deepest first), then removes it. */
export async function removeChangesTestDir(base: string | undefined): Promise<void> {
  if (base === undefined) return;
  const ours = [...(await mountPoints())].filter((m) => m.startsWith(`${base}/`));
  for (const m of ours.sort().reverse()) await runCommand('umount', ['--lazy', m], { allowFailure: true });
  await rm(base, { recursive: true, force: true });
}

export async function createSnapshotter(driver: DriverName, root: string): Promise<Snapshotter> {
  const snap = driver === 'overlay2' ? new OverlaySnapshotter(root) : new VfsSnapshotter(root);
  await snap.init();
  return snap;
}

/**
 * Where the changes of rootfs `id` are, as the container service will find them: overlay2's
 * GraphDriver data, or for vfs the tree of the image layer the rootfs was copied from (vfs keeps
 * layer `<l>` at `<root>/layers/<l>`).
 */
export function changesSourceOf(driver: DriverName, snap: Snapshotter, snapRoot: string, id: string, mounted: string, parentLayer: string | null): ChangesSource {
  if (driver === 'vfs') return { rootfs: mounted, baseDir: parentLayer === null ? null : join(snapRoot, 'layers', parentLayer) };
  const upperDir = snap.rootfsData(id)['UpperDir'];
  if (upperDir === undefined) throw new Error('overlay2 has an upper dir');
  const lower = snap.rootfsData(id)['LowerDir'];
  return { upperDir, lowerDirs: lower === undefined ? [] : lower.split(':') };
}

/** The image: a base layer, and a layer that deletes `/gone` and empties `/opq`. */
export const BASE_LAYER: FixtureEntry[] = [
  dir('bin/'),
  file('bin/sh', '#!sh', { mode: 0o755 }),
  symlinkEntry('bin/link-to-sh', 'sh'),
  dir('etc/'),
  file('etc/passwd', 'root:x:0:0\n'),
  file('etc/keep', 'keep'),
  hardlink('etc/keep-hard', 'etc/keep'),
  dir('home/'),
  dir('home/user/', { uid: 1000, gid: 1000, mode: 0o750 }),
  dir('opt/'),
  dir('opt/dir/'),
  file('opt/dir/a', 'a'),
  file('opt/dir/b', 'b'),
  dir('opt/dir/sub/'),
  file('opt/dir/sub/c', 'c'),
  dir('srv/'),
  dir('srv/data/'),
  file('srv/data/x', 'x'),
  dir('var/'),
  file('var/file', 'v'),
  file('gone', 'g'),
  dir('opq/'),
  file('opq/old', 'old'),
  file('opq/kept', 'kept'),
];

export const TOP_LAYER: FixtureEntry[] = [file('.wh.gone', ''), dir('opq/'), file('opq/.wh..wh..opq', ''), file('opq/new', 'n'), file('etc/extra', 'x')];

/** What a container does to its root filesystem, through the mounted rootfs. */
export async function changeContainer(root: string): Promise<void> {
  await writeFile(join(root, 'etc/new'), 'new');
  await appendFile(join(root, 'etc/passwd'), 'user:x:1000:1000\n');
  await runCommand('setfattr', ['-n', 'user.test', '-v', 'value', join(root, 'etc/passwd')]);
  await rm(join(root, 'var/file'));
  await rm(join(root, 'opt/dir'), { recursive: true });
  await mkdir(join(root, 'opt/dir'));
  await chmod(join(root, 'opt/dir'), 0o755);
  await writeFile(join(root, 'opt/dir/c'), 'c2');
  await chmod(join(root, 'bin/sh'), 0o700);
  await writeFile(join(root, 'gone'), 'back');
  await writeFile(join(root, 'opq/old'), 'again');
  await mkdir(join(root, 'newdir/sub'), { recursive: true });
  await writeFile(join(root, 'newdir/sub/f'), 'f');
  await writeFile(join(root, 'newdir/h1'), 'linked');
  await link(join(root, 'newdir/h1'), join(root, 'newdir/h2'));
  await runCommand('mkfifo', [join(root, 'newdir/fifo')]);
  await runCommand('mknod', [join(root, 'newdir/null'), 'c', '1', '3']);
  await writeFile(join(root, 'newdir/secret'), 's');
  await chmod(join(root, 'newdir/secret'), 0o000);
  await writeFile(join(root, 'newdir/biguid'), 'b');
  await chown(join(root, 'newdir/biguid'), 300000, 300001);
  await symlink('/', join(root, 'evil'));
  await chown(join(root, 'home/user'), 0, 0);
  await rm(join(root, 'etc/keep'));
  await mkdir(join(root, 'etc/keep'));
  await writeFile(join(root, 'etc/keep/inner'), 'in');
  await rm(join(root, 'srv/data'), { recursive: true });
  await writeFile(join(root, 'srv/data'), 'now a file');
}

/** `docker diff` of changeContainer on the image above, on either driver. */
export const EXPECTED_DIFF = [
  'C /bin',
  'C /bin/sh',
  'C /etc',
  'C /etc/keep',
  'A /etc/keep/inner',
  'A /etc/new',
  'C /etc/passwd',
  'A /evil',
  'A /gone',
  'C /home',
  'C /home/user',
  'A /newdir',
  'A /newdir/biguid',
  'A /newdir/fifo',
  'A /newdir/h1',
  'A /newdir/h2',
  'A /newdir/null',
  'A /newdir/secret',
  'A /newdir/sub',
  'A /newdir/sub/f',
  'C /opq',
  'A /opq/old',
  'C /opt',
  'C /opt/dir',
  'D /opt/dir/a',
  'D /opt/dir/b',
  'A /opt/dir/c',
  'D /opt/dir/sub',
  'C /srv',
  'C /srv/data',
  'C /var',
  'D /var/file',
];

export function formatChanges(changes: ReadonlyArray<{ Path: string; Kind: number }>): string[] {
  return changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}`);
}

/**
 * Every entry below `root` as `path type mode uid:gid mtime-seconds detail [xattrs] [=link n]`,
 * hardlinks numbered by inode in walk order. The root itself is left out: a layer does not carry it.
 */
export async function describeFullTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const inodes = new Map<bigint, number>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, path);
      const st = await lstat(abs, { bigint: true });
      let detail = '';
      if (st.isFile()) detail = `${st.size} ${createHash('sha256').update(await readFile(abs)).digest('hex').slice(0, 12)}`;
      else if (st.isSymbolicLink()) detail = `-> ${await readlink(abs)}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) detail = `rdev ${st.rdev}`;
      const xattrs = (await runCommand('getfattr', ['-h', '-d', '-m', '^user\\.', '--absolute-names', abs])).stdout.split('\n').filter((l) => l.startsWith('user.'));
      let hard = '';
      if (!st.isDirectory() && st.nlink > 1n) {
        if (!inodes.has(st.ino)) inodes.set(st.ino, inodes.size);
        hard = ` =link${inodes.get(st.ino)}`;
      }
      const mtime = ` ${st.mtimeNs / 1_000_000_000n}`;
      out.push(`${path} ${(st.mode & 0o170000n).toString(8)} ${(st.mode & 0o7777n).toString(8)} ${st.uid}:${st.gid}${mtime} ${detail} ${xattrs.join(',')}${hard}`.trim());
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return out;
}
