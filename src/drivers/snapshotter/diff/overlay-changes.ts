import { resolve } from 'node:path';
import { CHANGE_ADDED, CHANGE_DELETED, CHANGE_MODIFIED, type Change } from './change-types.js';
import { isWhiteoutDevice, metadataDiffers, readMetaOrNull } from '../../fs-tree/file-meta.js';
import { isInitDir, isInitFile } from './init-paths.js';
import { LowerView, type LowerDir } from './lower-view.js';
import { opaqueXattr, readXattrTree, type XattrIndex } from '../../fs-tree/read-xattrs.js';
import { sortedNames } from '../../fs-tree/walk-tree.js';

interface Walk {
  view: LowerView;
  opaque: XattrIndex;
  out: Change[];
}

/**
 * A container's changes from its overlay upper dir (unsorted). Only the upper dir is walked; the
 * lower layers are looked up for the names found there. The result is what comparing the image with
 * the container's merged view would give (docker's naive diff), so overlay2 and vfs agree:
 * - a whiteout device is `D`, if the image had the name;
 * - a non-directory is `C` if the image had the name (overlay copied it up to change it), else `A`;
 * - a directory new to the image is `A`, and so is everything in it;
 * - an opaque directory (`rm -rf d; mkdir d`) reports what the image had in it as `D`;
 * - a directory the image had is `C` when its owner or mode changed or anything inside changed;
 * - the runtime's mount points (init-paths.ts) count as if the image had them.
 */
export async function overlayChanges(upperPath: string, lowerDirs: readonly string[]): Promise<Change[]> {
  // Absolute, without a trailing slash: paths are built by appending and matched with getfattr's.
  const upperDir = resolve(upperPath);
  const view = new LowerView(lowerDirs.map((dir) => resolve(dir)));
  const opaque = await readXattrTree(upperDir, `^${opaqueXattr().replace(/\./g, '\\.')}$`);
  const walk: Walk = { view, opaque, out: [] };
  await diffDir(walk, upperDir, '', view.root);
  return walk.out;
}

async function diffDir(walk: Walk, abs: string, path: string, lower: LowerDir | null): Promise<void> {
  const names = await sortedNames(abs);
  for (const name of names) {
    const childAbs = `${abs}/${name}`;
    const childPath = `${path}/${name}`;
    const meta = await readMetaOrNull(childAbs);
    if (meta === null) continue;
    const before = lower === null ? null : await walk.view.lookup(lower, name);
    if (isWhiteoutDevice(meta)) {
      if (before !== null) walk.out.push({ Path: childPath, Kind: CHANGE_DELETED });
    } else if (meta.kind !== 'directory') {
      if (before === null && isInitFile(childPath, meta)) continue;
      walk.out.push({ Path: childPath, Kind: before === null ? CHANGE_ADDED : CHANGE_MODIFIED });
    } else if (before === null && isInitDir(childPath, meta)) {
      const start = walk.out.length;
      await diffDir(walk, childAbs, childPath, null);
      if (walk.out.length > start) walk.out.splice(start, 0, { Path: childPath, Kind: CHANGE_MODIFIED });
    } else if (before === null) {
      walk.out.push({ Path: childPath, Kind: CHANGE_ADDED });
      await diffDir(walk, childAbs, childPath, null);
    } else {
      const start = walk.out.length;
      // Children are compared with what the image had there even when the directory is opaque:
      // the diff is image versus container, and opacity only decides what the container sees.
      await diffDir(walk, childAbs, childPath, before.dir);
      if (before.dir !== null && walk.opaque.get(childAbs)?.get(opaqueXattr())?.toString() === 'y') {
        const kept = new Set(await sortedNames(childAbs));
        for (const hidden of await walk.view.names(before.dir)) {
          if (!kept.has(hidden)) walk.out.push({ Path: `${childPath}/${hidden}`, Kind: CHANGE_DELETED });
        }
      }
      if (metadataDiffers(before.meta, meta) || walk.out.length > start) walk.out.splice(start, 0, { Path: childPath, Kind: CHANGE_MODIFIED });
    }
  }
}
