import { posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { isWhiteoutDevice, mtimeSeconds, readMetaOrNull } from '../../fs-tree/file-meta.js';
import { opaqueXattr, readXattrs, readXattrTree } from '../../fs-tree/read-xattrs.js';
import { packTar } from '../../fs-tree/tar-packer.js';
import { sortedNames, walkTree, type TreeEntry } from '../../fs-tree/walk-tree.js';
import { CHANGE_DELETED, type ChangesSource } from './change-types.js';
import { sortChanges } from './container-diff.js';
import { isInitDir, isInitFile } from './init-paths.js';
import { LowerView, type LowerDir, type LowerEntry } from './lower-view.js';
import { naiveChanges } from './naive-changes.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The container's changes as an uncompressed OCI layer tar: what it added or changed, with mode,
 * owner, mtime, xattrs (not overlayfs' own), symlinks, hardlinks and devices; `.wh.<name>` for
 * what it deleted and `.wh..wh..opq` in a directory it emptied and recreated. Entries come in a
 * fixed order, so an unchanged container gives the same bytes each time.
 */
export function changesTar(source: ChangesSource, log?: (msg: string) => void): Readable {
  return 'upperDir' in source
    ? upperDirTar(resolve(source.upperDir), new LowerView(source.lowerDirs.map((d) => resolve(d))), log)
    : naiveTar(resolve(source.rootfs), source.baseDir, log);
}

/**
 * overlay2: the upper dir holds exactly the changes; only whiteouts need translating (as docker's
 * overlay2 Diff), and the runtime's mount points for what the image lacked are left out (docker
 * keeps those in its init layer, see init-paths.ts).
 */
function upperDirTar(upperDir: string, lower: LowerView, log: ((msg: string) => void) | undefined): Readable {
  return packTar({ confineTo: upperDir, ...(log ? { log } : {}) }, async (packer) => {
    const xattrs = await readXattrTree(upperDir);
    for await (const entry of walkTree(upperDir)) {
      const { meta } = entry;
      if (await isAddedMountPoint(entry, lower)) continue;
      const times = { uid: meta.uid, gid: meta.gid, mtime: mtimeSeconds(meta) };
      if (isWhiteoutDevice(meta)) {
        await packer.addEmptyFile(whiteoutName(entry.rel), { mode: 0o600, ...times });
        continue;
      }
      const attrs = xattrs.get(entry.abs);
      await packer.addPath(entry.abs, entry.rel, meta, attrs);
      if (meta.kind === 'directory' && attrs?.get(opaqueXattr())?.toString() === 'y') {
        await packer.addEmptyFile(`${entry.rel}/${OPAQUE_MARKER}`, { mode: meta.mode & 0o777, ...times });
      }
    }
  });
}

/** vfs: the changed paths from the naive diff, as docker's ExportChanges writes them. */
function naiveTar(rootfs: string, baseDir: string | null, log: ((msg: string) => void) | undefined): Readable {
  return packTar({ confineTo: rootfs, ...(log ? { log } : {}) }, async (packer) => {
    const changes = sortChanges(await naiveChanges(rootfs, baseDir));
    const xattrs = await readXattrs(changes.filter((c) => c.Kind !== CHANGE_DELETED).map((c) => rootfs + c.Path));
    for (const change of changes) {
      const abs = rootfs + change.Path;
      if (change.Kind === CHANGE_DELETED) {
        // The deletion's own time is lost; the parent's mtime is when it last changed, and keeps the tar reproducible.
        const parent = await readMetaOrNull(rootfs + posix.dirname(change.Path));
        await packer.addEmptyFile(whiteoutName(change.Path.slice(1)), { mode: 0o600, uid: 0, gid: 0, mtime: parent ? mtimeSeconds(parent) : 0 });
        continue;
      }
      const meta = await readMetaOrNull(abs);
      if (meta !== null) await packer.addPath(abs, change.Path.slice(1), meta, xattrs.get(abs));
    }
  });
}

/** A placeholder file, or an empty init directory, that the image does not have. */
async function isAddedMountPoint(entry: TreeEntry, lower: LowerView): Promise<boolean> {
  const path = `/${entry.rel}`;
  const candidate = isInitFile(path, entry.meta) || (isInitDir(path, entry.meta) && (await sortedNames(entry.abs)).length === 0);
  if (!candidate) return false;
  let dir: LowerDir | null = lower.root;
  for (const name of entry.rel.split('/')) {
    const found: LowerEntry | null = dir === null ? null : await lower.lookup(dir, name);
    if (found === null) return true;
    dir = found.dir;
  }
  return false;
}

function whiteoutName(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
}
