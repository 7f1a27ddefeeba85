import { readdir } from 'node:fs/promises';
import { errnoCode } from '../../../core/errors.js';
import { isWhiteoutDevice, readMetaOrNull, type FileMeta } from '../../fs-tree/file-meta.js';
import { opaqueXattr, readXattrs } from '../../fs-tree/read-xattrs.js';

/** One directory of the merged lower layers: the layers' copies of it that overlay merges, nearest first. */
export interface LowerDir {
  readonly layers: readonly string[];
}

export interface LowerEntry {
  /** The nearest layer's entry: the one a mount of the lower layers alone would show. */
  meta: FileMeta;
  /** Set when the entry is a directory, to look further down. */
  dir: LowerDir | null;
}

/**
 * The image's filesystem as overlayfs merges the lower layer dirs, read without mounting them:
 * the nearest layer wins, a 0/0 device hides the name in layers below, a directory merges with
 * directories below until one is opaque or a layer has a non-directory there. This is the "before"
 * side of a container's diff; the upper dir is the "after" side's changes.
 */
export class LowerView {
  readonly root: LowerDir;

  constructor(lowerDirs: readonly string[]) {
    this.root = { layers: lowerDirs };
  }

  /** `name` inside `dir`, or null if the lower layers do not have it. */
  async lookup(dir: LowerDir, name: string): Promise<LowerEntry | null> {
    const copies: string[] = [];
    let top: FileMeta | null = null;
    for (const layer of dir.layers) {
      const abs = `${layer}/${name}`;
      const meta = await readMetaOrNull(abs);
      if (meta === null) continue;
      if (top === null) {
        if (isWhiteoutDevice(meta)) return null;
        if (meta.kind !== 'directory') return { meta, dir: null };
        top = meta;
      } else if (meta.kind !== 'directory') {
        break; // a whiteout or a file below a directory ends the merge, as in overlayfs' lookup
      }
      copies.push(abs);
    }
    if (top === null) return null;
    return { meta: top, dir: { layers: await cutAtOpaque(copies) } };
  }

  /** The names `dir` shows: each layer's entries, less what a nearer layer whited out. */
  async names(dir: LowerDir): Promise<Set<string>> {
    const decided = new Set<string>();
    const visible = new Set<string>();
    for (const layer of dir.layers) {
      for (const entry of await readdirOrEmpty(layer)) {
        if (decided.has(entry.name)) continue;
        decided.add(entry.name);
        if (entry.isCharacterDevice()) {
          const meta = await readMetaOrNull(`${layer}/${entry.name}`);
          if (meta !== null && isWhiteoutDevice(meta)) continue;
        }
        visible.add(entry.name);
      }
    }
    return visible;
  }
}

/** Drops the copies below the first opaque one; the last copy's opacity changes nothing. */
async function cutAtOpaque(copies: string[]): Promise<string[]> {
  if (copies.length < 2) return copies;
  const attrs = await readXattrs(copies.slice(0, -1), `^${opaqueXattr().replace(/\./g, '\\.')}$`);
  const opaque = copies.findIndex((abs) => attrs.get(abs)?.get(opaqueXattr())?.toString() === 'y');
  return opaque < 0 ? copies : copies.slice(0, opaque + 1);
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}
