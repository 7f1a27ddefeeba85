import { readdir } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.js';
import { readMetaOrNull, type FileMeta } from './file-meta.js';

/** Byte order of the UTF-8 names, as Go sorts them (JS string order differs beyond the BMP). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The names in `dir`, sorted; empty when the directory vanished meanwhile (a running container). */
export async function sortedNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(compareNames);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

export interface TreeEntry {
  /** Path below the walked root, without a leading slash (`etc/passwd`). */
  rel: string;
  abs: string;
  meta: FileMeta;
}

/**
 * Every entry below `root` (not `root` itself), parents before children and each directory's
 * entries in byte order, like Go's filepath.WalkDir that docker's tars follow: the same tree always
 * gives the same tar. Symlinks are listed, never followed. Directories in `prune` (absolute
 * paths) are listed but not entered.
 */
export async function* walkTree(root: string, rel = '', prune?: ReadonlySet<string>): AsyncGenerator<TreeEntry> {
  const dir = rel === '' ? root : `${root}/${rel}`;
  for (const name of await sortedNames(dir)) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = `${root}/${childRel}`;
    const meta = await readMetaOrNull(abs);
    if (meta === null) continue;
    yield { rel: childRel, abs, meta };
    if (meta.kind === 'directory' && !prune?.has(abs)) yield* walkTree(root, childRel, prune);
  }
}
