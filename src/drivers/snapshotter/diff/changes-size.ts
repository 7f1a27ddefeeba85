import { CHANGE_DELETED, type ChangesSource } from './change-types.js';
import { readMetaOrNull, type FileMeta } from '../../fs-tree/file-meta.js';
import { naiveChanges } from './naive-changes.js';
import { walkTree } from '../../fs-tree/walk-tree.js';
import { isInitFile } from './init-paths.js';

/**
 * docker's SizeRw: the bytes of what the container added or changed, directories not counted
 * and a file with several names counted once (moby's directory.Size for overlay2's upper dir,
 * archive.ChangesSize for a naive diff). The init layer's placeholders (`/etc/mtab`'s link, empty
 * bind targets) are docker's separate layer, not the container's writes.
 */
export async function changesSize(source: ChangesSource): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const count = (path: string, meta: FileMeta): void => {
    if (meta.kind === 'directory' || isInitFile(path, meta)) return;
    const inode = `${meta.dev}:${meta.ino}`;
    if (seen.has(inode)) return;
    seen.add(inode);
    total += meta.size;
  };
  if ('upperDir' in source) {
    for await (const entry of walkTree(source.upperDir)) count(`/${entry.rel}`, entry.meta);
    return total;
  }
  for (const change of await naiveChanges(source.rootfs, source.baseDir)) {
    if (change.Kind === CHANGE_DELETED) continue;
    const meta = await readMetaOrNull(source.rootfs + change.Path);
    if (meta) count(change.Path, meta);
  }
  return total;
}
