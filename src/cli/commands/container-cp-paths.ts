/**
 * The path rules of `docker cp` (moby pkg/archive copy.go), kept pure so they can be tested:
 *
 * - `SRC/.` copies the contents of SRC, `SRC` copies SRC itself;
 * - a trailing `/` on the destination asserts a directory (error if SRC is a file and DEST does
 *   not exist);
 * - DEST existing as a directory receives SRC inside it; otherwise SRC is renamed to DEST's name,
 *   which is done by rewriting the first path component of the archive's entries (the rebase).
 */
import { posix } from 'node:path';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the archive's top entry must get (a followed symlink keeps the link's name). */
  rebaseName?: string;
}

/** `CTR:/path` → container and path; `/abs`, `./rel:with:colons` and `file` are local. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export const hasTrailingSeparator = (p: string): boolean => p.length > 0 && p.endsWith('/');
export const specifiesCurrentDir = (p: string): boolean => p === '' || posix.basename(p) === '.';
export const assertsDirectory = (p: string): boolean => hasTrailingSeparator(p) || specifiesCurrentDir(p);

/** Go's filepath.Clean (no trailing slash except for the root). */
export function cleanPath(p: string): string {
  const n = posix.normalize(p === '' ? '.' : p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Directory and last element; `dir/.` keeps `.` as the element (it means "the contents"). */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = cleanPath(p);
  if (specifiesCurrentDir(p)) cleaned = cleaned === '/' ? '/.' : `${cleaned}/.`;
  return [posix.dirname(cleaned), posix.basename(cleaned) || '/'];
}

/** Cleaning must not lose what the user meant with a trailing `/` or `/.`. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/**
 * After following a symlink, the resolved path keeps the original's trailing `/` or `/.`, and
 * when the last element changed the archive must be rebased to the name the user gave.
 */
export function getRebaseName(path: string, resolved: string): { resolved: string; rebaseName: string } {
  let out = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(out)) out += '/';
  const rebaseName = posix.basename(path) !== posix.basename(out) ? posix.basename(path) : '';
  return { resolved: out, rebaseName };
}

export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyError';
  }
}

/**
 * docker's PrepareArchiveCopy: where to extract, and how to rename the archive's top entry so
 * the copy lands under the destination's name.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dstDir: string; rebase?: { from: string; to: string } } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const [, srcBase0] = splitPathDirEntry(src.path);
  const srcBase = src.rebaseName !== undefined && src.rebaseName !== '' ? src.rebaseName : srcBase0;
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw new CopyError('cannot copy directory');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new CopyError('no such directory');
  return { dstDir, rebase: { from: srcBase, to: dstBase } };
}

/** An archive entry name after a rebase: the first occurrence of `from` becomes `to` (as docker). */
export function rebaseName(name: string, from: string, to: string): string {
  // The root (`/`) is replaced as the empty string, or every path would lose its leading slash.
  const old = from === '/' ? '' : from;
  return name.replace(old, to);
}

/** Go FileMode bits in `X-Docker-Container-Path-Stat` (unsigned; JS bit operators would sign them). */
export const hasModeBit = (mode: number, bit: number): boolean => Math.floor(mode / 2 ** bit) % 2 === 1;
export const isDirMode = (mode: number): boolean => hasModeBit(mode, 31);
export const isSymlinkMode = (mode: number): boolean => hasModeBit(mode, 27);
export const isDeviceMode = (mode: number): boolean => hasModeBit(mode, 26);

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Decodes the base64 JSON stat header the archive endpoints send. */
export function decodePathStat(header: string | string[] | undefined): PathStat | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
  } catch {
    return undefined;
  }
}
