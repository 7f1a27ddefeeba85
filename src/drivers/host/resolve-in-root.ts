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

/** The link text of a path below a root (absolute from the root), or null when it is no symlink or absent. */
export type RootReadLink = (rootPath: string) => Promise<string | null>;

/**
 * Resolves `unsafePath` as if the root `readLink` looks into were `/` (like Go's
 * filepath-securejoin): every component is looked up and symlinks are followed one component at a
 * time, with absolute targets and `..` re-rooted at the root. Components below one for which
 * `opaque(resolvedSoFar)` holds are not looked up (a filesystem the runtime mounts fresh there).
 * Returns a clean absolute path, `/` for the root itself.
 */
export async function resolveLinks(unsafePath: string, readLink: RootReadLink, tooMany: () => Error, opaque?: (done: readonly string[]) => boolean): Promise<string> {
  // Remaining components as a stack, next one on top, so a symlink target is pushed in front.
  const pending = unsafePath.split('/').reverse();
  const done: string[] = [];
  let linksFollowed = 0;
  for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const target = opaque?.(done) ? null : await readLink(`/${[...done, part].join('/')}`);
    if (target === null) {
      done.push(part);
      continue;
    }
    if (++linksFollowed > MAX_SYMLINKS) throw tooMany();
    if (target.startsWith('/')) done.length = 0;
    pending.push(...target.split('/').reverse());
  }
  return `/${done.join('/')}`;
}

/** A RootReadLink over a directory on the host: lstat only, never following a link. */
export function rootReadLink(root: string): RootReadLink {
  return async (rootPath) => {
    const abs = join(root, rootPath);
    try {
      const st = await lstat(abs);
      return st.isSymbolicLink() ? await readlink(abs) : null;
    } catch (err) {
      // ENOTDIR: an ancestor is a regular file; the caller's create will fail with a clear error.
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
  };
}

/**
 * Resolves `unsafePath` inside `root` (resolveLinks). The last component is followed too; callers
 * that must not follow it resolve the parent and append the base name. Components that do not
 * exist are kept as they are (nothing below them can be a symlink). `root` is trusted and not
 * resolved. A lexical walk: a concurrent writer inside root could swap components meanwhile, so
 * whatever acts on the result goes through the rooted layer (drivers/host/rooted-fs.ts).
 */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  const tooMany = (): Error => new InvalidParameterError(`invalid layer tar: too many levels of symbolic links resolving "${unsafePath}"`);
  return join(root, (await resolveLinks(unsafePath, rootReadLink(root), tooMany)).slice(1));
}
