import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError, errnoCode } from '../../core/errors.js';

/** Linux's own limit on symlinks followed in one lookup is 40; securejoin allows 255. */
export const MAX_SYMLINKS = 255;

/**
 * Cleans a tar entry name lexically into a path relative to the root: leading `/` and `./`
 * dropped, `.` and empty parts removed, `..` resolved without ever climbing above the root (docker
 * treats `/abs` and `../../x` as relative to the root). Returns '' for the root itself.
 */
export function cleanInRoot(name: string): string {
  if (name.includes('\0')) throw new InvalidParameterError(`invalid layer tar: entry name ${JSON.stringify(name)} contains NUL`);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * Resolves `unsafePath` as if `root` were `/` (like Go's filepath-securejoin): every component is
 * looked up on disk and symlinks are followed one component at a time, with absolute targets and
 * `..` re-rooted at `root`, so the result is always `root` or a path below it, whatever symlinks a
 * layer planted. The last component is followed too; callers that must not follow it resolve the
 * parent and append the base name. Components that do not exist are kept as they are (nothing below
 * them can be a symlink). `root` is trusted and not resolved. Not safe against a concurrent writer
 * inside root swapping components (TOCTOU); unpacking has a single writer, so that is fine here.
 */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  // Remaining components as a stack, next one on top, so a symlink target is pushed in front.
  const pending = unsafePath.split('/').reverse();
  const resolved: string[] = [];
  let linksFollowed = 0;
  for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const target = await symlinkTarget(candidate);
    if (target === null) {
      resolved.push(part);
      continue;
    }
    if (++linksFollowed > MAX_SYMLINKS) {
      throw new InvalidParameterError(`invalid layer tar: too many levels of symbolic links resolving "${unsafePath}"`);
    }
    if (target.startsWith('/')) resolved.length = 0;
    pending.push(...target.split('/').reverse());
  }
  return join(root, ...resolved);
}

/** The link text if `path` is a symlink, null if it is anything else or does not exist. */
async function symlinkTarget(path: string): Promise<string | null> {
  try {
    const st = await lstat(path);
    return st.isSymbolicLink() ? await readlink(path) : null;
  } catch (err) {
    // ENOTDIR: an ancestor is a regular file; the caller's create will fail with a clear error.
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
