import { closeSync, constants, openSync } from 'node:fs';
import { lstat, mkdir, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError, errnoCode } from '../../core/errors.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import { resolveInRoot, resolveLinks, rootReadLink, type RootReadLink } from '../../drivers/host/resolve-in-root.js';
import type { Mount } from '../../oci/runtime/runtime-spec-types.js';

/**
 * Paths of a container's rootfs that an image may have made symlinks, handled as dockerd does
 * before the runtime sees them: no path is ever looked up on the host outside the rootfs.
 */

/**
 * The mount points of the kernel filesystems that dockerd's init layer (daemon/initlayer) holds as
 * real directories, shadowing whatever the image has there: an image whose `/dev`, `/proc` or
 * `/sys` is a symlink (even `/dev -> /`) still gets its devtmpfs, proc and sysfs at the usual
 * places. Parents come before their children.
 */
const INIT_LAYER_DIRS = ['/dev', '/dev/pts', '/dev/shm', '/proc', '/sys'];

/** Filesystems the runtime mounts fresh: what the image has below them is never seen. */
const KERNEL_FS_ROOTS: ReadonlySet<string> = new Set(['dev', 'proc', 'sys']);

/**
 * Resolves `path` (absolute in the container) the way the runtime will find it once the container's
 * filesystems are mounted: symlinks followed inside the container's root, except below `/dev`,
 * `/proc` and `/sys`, whose contents are the runtime's fresh filesystems rather than the image's.
 * Returns a clean absolute path; `/` when the path resolves to the root itself.
 */
export async function resolveContainerPath(path: string, readLink: RootReadLink): Promise<string> {
  const tooMany = (): Error => new InvalidParameterError(`cannot resolve ${path} in the container: too many levels of symbolic links`);
  return await resolveLinks(path, readLink, tooMany, (done) => done.length > 0 && KERNEL_FS_ROOTS.has(done[0] ?? ''));
}

/**
 * dockerd's init layer for the kernel filesystems: each of INIT_LAYER_DIRS that the image has as
 * something other than a directory (a symlink, a file) is replaced by an empty directory in the
 * container's writable layer. Missing ones are left to the runtime, which makes mount points.
 */
export async function replaceInitLayerDirs(rootfs: string): Promise<void> {
  // Depth by depth, each depth's paths side by side (a start waits for every round): the parents
  // are made directories first, so no lstat follows a link of the image.
  for (const depth of [1, 2]) {
    await Promise.all(
      INIT_LAYER_DIRS.filter((dir) => dir.split('/').length - 1 === depth).map(async (dir) => {
        const abs = join(rootfs, dir);
        const st = await lstat(abs).catch(() => undefined);
        if (!st || st.isDirectory()) return;
        await unlink(abs);
        await mkdir(abs, { mode: 0o755 });
      }),
    );
  }
}

/**
 * The spec's mounts with each destination resolved inside the container's root (docker's runc
 * resolves them with securejoin; crun refuses a symlinked `/proc` and loses a symlinked `/dev`),
 * so every runtime mounts where docker's does. A destination that resolves to the root itself is
 * refused: mounted there it would hide the container's whole filesystem.
 */
export async function resolveMountDestinations(mounts: readonly Mount[], rootfs: string): Promise<Mount[]> {
  // On every start: the ~15 destinations share /dev, /etc, /sys…, so each is looked up once.
  const lookup = rootReadLink(rootfs);
  const seen = new Map<string, Promise<string | null>>();
  const readLink: RootReadLink = (p) => {
    let link = seen.get(p);
    if (!link) seen.set(p, (link = lookup(p)));
    return link;
  };
  return await Promise.all(
    mounts.map(async (m) => {
      const destination = await resolveContainerPath(m.destination, readLink);
      if (destination === '/' && m.destination !== '/') {
        throw new InvalidParameterError(`invalid mount destination ${m.destination}: it resolves to the container's root through a symlink in the image`);
      }
      return destination === m.destination ? m : { ...m, destination };
    }),
  );
}

/**
 * dockerd's SetupWorkingDirectory: the working directory, resolved inside the rootfs, is made
 * (0755) when missing, so a WORKDIR that is a symlink to a directory the image lacks still works.
 */
export async function ensureWorkingDir(rootfs: string, workingDir: string): Promise<void> {
  if (workingDir === '' || workingDir === '/') return;
  const abs = await resolveInRoot(rootfs, workingDir);
  const st = await lstat(abs).catch(() => undefined);
  if (st?.isDirectory()) return;
  if (st) throw new InvalidParameterError(`Cannot mkdir: ${workingDir} is not a directory`);
  await mkdir(abs, { recursive: true, mode: 0o755 });
}

/**
 * The rest of dockerd's init layer: the placeholders it gives every container whatever its image
 * has, which programs look for (`/.dockerenv` says "in a container", `/etc/mtab` is the mount
 * table) and which `docker export` and `docker cp` show: its directories (0755), empty 0755 files for `/.dockerenv`,
 * `/dev/console` and the generated /etc files, and `/etc/mtab -> /proc/mounts`. Made only where
 * the image has nothing (diff and commit leave them out, as docker keeps them in a layer of their
 * own; see changes/init-paths.ts); paths are resolved inside the rootfs.
 */
export async function ensureInitLayerFiles(rootfs: string): Promise<void> {
  await RootedFs.with(rootfs, async (fs) => {
    // Its directories too (the runtime makes them only on its own fresh /dev).
    for (const dir of INIT_LAYER_DIRS) (await fs.makeDirs(dir.slice(1), 0o755)).close();
    for (const [path, link] of INIT_LAYER_FILES) {
      const slash = path.lastIndexOf('/');
      const parent = await fs.makeDirs(path.slice(1, slash), 0o755);
      try {
        const at = parent.entry(path.slice(slash + 1));
        if (await lstat(at).then(() => true, () => false)) continue;
        if (link !== undefined) await symlink(link, at);
        else closeSync(openSync(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o755));
      } catch (err) {
        // Another start made it meanwhile.
        if (errnoCode(err) !== 'EEXIST') throw err;
      } finally {
        parent.close();
      }
    }
  });
}

/** docker's initlayer.Setup files: a path, and the target when it is a symlink. */
const INIT_LAYER_FILES: ReadonlyArray<readonly [string, string | undefined]> = [
  ['/.dockerenv', undefined],
  ['/etc/resolv.conf', undefined],
  ['/etc/hosts', undefined],
  ['/etc/hostname', undefined],
  ['/dev/console', undefined],
  ['/etc/mtab', '/proc/mounts'],
];
