import type { Change, ChangesSource } from './change-types.js';
import { naiveChanges } from './naive-changes.js';
import { overlayChanges } from './overlay-changes.js';
import { compareNames } from '../../fs-tree/walk-tree.js';

export type { Change, ChangeKind, ChangesSource } from './change-types.js';
export { CHANGE_ADDED, CHANGE_DELETED, CHANGE_MODIFIED } from './change-types.js';

/**
 * docker's `GET /containers/{id}/changes`: what the container changed in its image's filesystem,
 * sorted by path as docker lists them. A parent directory of a change is listed as modified, so
 * `echo >> /etc/passwd` gives `C /etc` then `C /etc/passwd`. The container may be running; entries
 * it removes while they are read are skipped.
 */
export async function diffChanges(source: ChangesSource): Promise<Change[]> {
  const changes = 'upperDir' in source ? await overlayChanges(source.upperDir, source.lowerDirs) : await naiveChanges(source.rootfs, source.baseDir);
  return sortChanges(changes);
}

/** By path in byte order (docker's changesByPath); a parent sorts before its children. */
export function sortChanges(changes: readonly Change[]): Change[] {
  return [...changes].sort((a, b) => compareNames(a.Path, b.Path));
}
