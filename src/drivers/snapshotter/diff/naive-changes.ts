import { readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CHANGE_ADDED, CHANGE_DELETED, CHANGE_MODIFIED, type Change } from './change-types.js';
import { metadataDiffers, readMetaOrNull, type FileMeta } from '../../fs-tree/file-meta.js';
import { isInitDir, isInitFile } from './init-paths.js';
import { readXattrTree, type XattrIndex } from '../../fs-tree/read-xattrs.js';
import { sortedNames } from '../../fs-tree/walk-tree.js';

/** docker's naive diff also compares file capabilities: setcap changes neither size nor mtime. */
const CAPABILITY = 'security.capability';

interface Compare {
  newRoot: string;
  oldRoot: string | null;
  newCaps: XattrIndex;
  oldCaps: XattrIndex;
  out: Change[];
}

/**
 * A container's changes by comparing its full tree with the image's (docker's naive diff, used for
 * vfs), unsorted. An entry is `C` when its metadata differs (see metadataDiffers), its symlink
 * target or its capabilities changed; a directory also when anything inside it changed. Below an
 * added directory everything is `A`; below a deleted one nothing more is listed. The runtime's
 * mount points (init-paths.ts) count as if the image had them.
 */
export async function naiveChanges(rootfsPath: string, basePath: string | null): Promise<Change[]> {
  // Absolute, without a trailing slash: paths are built by appending and matched with getfattr's.
  const rootfs = resolve(rootfsPath);
  const baseDir = basePath === null ? null : resolve(basePath);
  const pattern = `^${CAPABILITY.replace(/\./g, '\\.')}$`;
  const cmp: Compare = {
    newRoot: rootfs,
    oldRoot: baseDir,
    newCaps: await readXattrTree(rootfs, pattern),
    oldCaps: baseDir === null ? new Map() : await readXattrTree(baseDir, pattern),
    out: [],
  };
  await compareDir(cmp, '', baseDir !== null);
  return cmp.out;
}

/** Compares `path` ('' for the root) in both trees; `hadDir`: the old tree has a directory there. */
async function compareDir(cmp: Compare, path: string, hadDir: boolean): Promise<void> {
  const newNames = await sortedNames(cmp.newRoot + path);
  const oldNames = new Set(hadDir && cmp.oldRoot !== null ? await sortedNames(cmp.oldRoot + path) : []);
  for (const name of newNames) {
    const childPath = `${path}/${name}`;
    const after = await readMetaOrNull(cmp.newRoot + childPath);
    if (after === null) continue;
    const before = oldNames.has(name) && cmp.oldRoot !== null ? await readMetaOrNull(cmp.oldRoot + childPath) : null;
    if (before === null && isInitFile(childPath, after)) continue;
    if (before === null && isInitDir(childPath, after)) {
      const start = cmp.out.length;
      await compareDir(cmp, childPath, false);
      if (cmp.out.length > start) cmp.out.splice(start, 0, { Path: childPath, Kind: CHANGE_MODIFIED });
      continue;
    }
    if (before === null) {
      cmp.out.push({ Path: childPath, Kind: CHANGE_ADDED });
      if (after.kind === 'directory') await compareDir(cmp, childPath, false);
      continue;
    }
    const start = cmp.out.length;
    const changed = await entryChanged(cmp, childPath, before, after);
    if (changed) cmp.out.push({ Path: childPath, Kind: CHANGE_MODIFIED });
    if (after.kind !== 'directory') continue;
    await compareDir(cmp, childPath, before.kind === 'directory');
    if (!changed && cmp.out.length > start) cmp.out.splice(start, 0, { Path: childPath, Kind: CHANGE_MODIFIED });
  }
  const kept = new Set(newNames);
  for (const name of oldNames) if (!kept.has(name)) cmp.out.push({ Path: `${path}/${name}`, Kind: CHANGE_DELETED });
}

async function entryChanged(cmp: Compare, path: string, before: FileMeta, after: FileMeta): Promise<boolean> {
  if (metadataDiffers(before, after)) return true;
  const oldCap = cmp.oldCaps.get(`${cmp.oldRoot}${path}`)?.get(CAPABILITY);
  const newCap = cmp.newCaps.get(`${cmp.newRoot}${path}`)?.get(CAPABILITY);
  if ((oldCap === undefined) !== (newCap === undefined) || (oldCap && newCap && !oldCap.equals(newCap))) return true;
  if (after.kind !== 'symlink') return false;
  return (await readlink(`${cmp.oldRoot}${path}`)) !== (await readlink(cmp.newRoot + path));
}
