import { closeSync, constants, openSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { pathOnlyFlags } from '../../drivers/host/host-files.js';
import { RootedFs, fdPath } from '../../drivers/host/rooted-fs.js';
import { MNT_DETACH, MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, mountSyscall, umountSyscall } from '../../drivers/mounts/mount-syscalls.js';
import type { MountPoint } from '../containers/mount-plan.js';

/**
 * dockerd's mountVolumes for the archive API on a container that is not running: its binds and
 * volumes bound onto the mounted rootfs at their destinations, so that `docker cp` and
 * HEAD/GET/PUT archive see (and write into) them as the container's processes would. tmpfs mounts
 * are left out as docker leaves them (they exist only while the container runs).
 *
 * Each destination is resolved inside the rootfs (its symlinks lead back into it, never to the
 * host) and made when missing, then the mount goes onto the opened fd (`/proc/self/fd/N`), so
 * nothing swapped in between can redirect it; parents first, so a nested destination lands in
 * the volume above it. The binds are private and read-only where the container's are. Returns
 * the function that takes them away again.
 */
export async function mountVolumesInto(rootfs: string, mounts: readonly MountPoint[]): Promise<() => Promise<void>> {
  const mounted: string[] = [];
  const unmount = async (): Promise<void> => {
    for (const at of mounted.reverse()) await umountSyscall(at, MNT_DETACH).catch(() => undefined);
    mounted.length = 0;
  };
  const binds = mounts.filter((m) => m.Type !== 'tmpfs' && m.Source !== '').sort((a, b) => depth(a.Destination) - depth(b.Destination));
  try {
    await RootedFs.with(rootfs, async (fs) => {
      for (const m of binds) {
        const fd = await openDestination(fs, m.Destination.slice(1), statSync(m.Source).isDirectory());
        try {
          await mountSyscall(m.Source, fdPath(fd), null, MS_BIND | MS_REC, null);
          // Remount and propagation changes refuse a /proc/self/fd path: they take the path the mount is at now.
          const at = readlinkSync(fdPath(fd));
          mounted.push(at);
          if (!m.RW) await mountSyscall(null, at, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
          // Private: the lazy unmount after the operation must not propagate to the source's peers.
          await mountSyscall(null, at, null, MS_PRIVATE | MS_REC, null);
        } finally {
          closeSync(fd);
        }
      }
    });
  } catch (err) {
    await unmount();
    throw err;
  }
  return unmount;
}

function depth(path: string): number {
  return posix.normalize(path).split('/').filter(Boolean).length;
}

/** docker's CreateIfNotExists, inside the root: the destination opened O_PATH, made (a directory or an empty file) when missing. */
async function openDestination(fs: RootedFs, rel: string, isDir: boolean): Promise<number> {
  const flags = pathOnlyFlags(isDir);
  try {
    return await fs.open(rel, flags);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  if (isDir) {
    const dir = await fs.makeDirs(rel, 0o755);
    const fd = openSync(fdPath(dir.fd), flags);
    dir.close();
    return fd;
  }
  const slash = rel.lastIndexOf('/');
  const parent = await fs.makeDirs(slash < 0 ? '' : rel.slice(0, slash), 0o755);
  try {
    closeSync(openSync(parent.entry(rel.slice(slash + 1)), constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o755));
  } finally {
    parent.close();
  }
  return await fs.open(rel, flags);
}
