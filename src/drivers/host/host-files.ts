/**
 * The few file calls Node lacks (mknod of a FIFO, lsetxattr, O_PATH), for the engine's own file
 * work (build contexts, volume views): the engine asks for the operation, the native addon stays
 * behind the drivers.
 */
import { hostAddon } from './host-addon.js';

/** A FIFO at `path`, mode 0600 until the caller applies the entry's own. */
export function makeFifo(path: string): void {
  const addon = hostAddon();
  addon.mknod(path, addon.constants.S_IFIFO | 0o600, 0, 0);
}

/** An extended attribute on `path` itself, never on what a symlink there points to (lsetxattr). */
export function setLinkXattr(path: string, name: string, value: Buffer): void {
  hostAddon().setxattr(path, name, value, false);
}

/** open(2) flags for a handle on the path alone (O_PATH), of a directory when `directory`. */
export function pathOnlyFlags(directory: boolean): number {
  const c = hostAddon().constants;
  return c.O_PATH | (directory ? c.O_DIRECTORY : 0);
}
