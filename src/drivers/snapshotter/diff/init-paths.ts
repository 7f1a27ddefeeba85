import type { FileMeta } from '../../fs-tree/file-meta.js';

/**
 * Mount points the runtime creates in a container's writable layer when the image lacks them:
 * the empty files the generated /etc files are bound onto, and the directories of the kernel
 * filesystems. docker keeps these in a separate "init" layer below the container's own
 * (daemon/initlayer), so they never appear in `diff` or in a committed layer; Berth has no such
 * layer, so diff and commit leave them out here.
 */
const INIT_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev/console', '/.dockerenv']);
const INIT_DIRS = new Set(['/etc', '/dev', '/dev/pts', '/dev/shm', '/proc', '/sys']);

/**
 * An empty placeholder file the runtime made to bind-mount onto (`path` absolute in the
 * container), or the init layer's `/etc/mtab -> /proc/mounts` (a symlink's size is its target's length).
 */
export function isInitFile(path: string, meta: FileMeta): boolean {
  if (path === '/etc/mtab') return meta.kind === 'symlink' && meta.size === '/proc/mounts'.length;
  return INIT_FILES.has(path) && meta.kind === 'file' && meta.size === 0;
}

/**
 * A directory of the init layer. When the image lacks it, it is no change of its own (docker has
 * it in the init layer); only what the container changed below it counts, which makes it `C`.
 */
export function isInitDir(path: string, meta: FileMeta): boolean {
  return INIT_DIRS.has(path) && meta.kind === 'directory';
}
