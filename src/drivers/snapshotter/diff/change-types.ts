/** The shapes shared by diff, commit and export: docker's `GET /containers/{id}/changes` items. */

/** docker's ChangeType: 0 Modified (`C`), 1 Added (`A`), 2 Deleted (`D`). */
export const CHANGE_MODIFIED = 0;
export const CHANGE_ADDED = 1;
export const CHANGE_DELETED = 2;
export type ChangeKind = typeof CHANGE_MODIFIED | typeof CHANGE_ADDED | typeof CHANGE_DELETED;

/** One changed path, absolute inside the container (`/etc/passwd`). */
export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/**
 * Where a container's changes are read from. overlay2: the rootfs' upper dir plus its lower
 * layer dirs, nearest first (GraphDriver `UpperDir`/`LowerDir`). vfs: the container's full copy
 * compared with the tree of the image layer it was copied from (null: the container has no
 * image, so everything in it was added).
 */
export type ChangesSource =
  | { upperDir: string; lowerDirs: readonly string[] }
  | { rootfs: string; baseDir: string | null };
