import { entryKind, tarEntryHeader, type RawTarHeader } from '../../drivers/snapshotter/tar-entry-header.js';
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { readTarEntries } from '../../drivers/snapshotter/read-tar-entries.js';
import { InvalidParameterError, errnoCode } from '../../core/errors.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import { restoreDirTimes, writeTarEntry, type EntryContent, type EntryContext } from '../../drivers/snapshotter/write-tar-entry.js';

/** Where an archive goes: an existing directory (`destPath`, symlinks already resolved) inside the container root. */
export interface ExtractTarget {
  root: string;
  destPath: string;
}

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
  /** `..` stops at the destination instead of being refused above it (ADD, which docker untars chrooted there). */
  clampToDestination?: boolean;
  /**
   * An entry whose parent lies through a symlink to a missing path fails the archive, as in
   * docker's untar (the archive API); otherwise the missing directories are made inside the root.
   */
  danglingLinksFail?: boolean;
  /** Owner for every entry (`docker cp -a`: the container's user); null keeps the archive's. */
  owner: { uid: number; gid: number } | null;
  log: (msg: string) => void;
}

/**
 * Unpacks a `PUT /containers/{id}/archive` tar into the target directory like docker's Unpack:
 * names are relative to the directory; `..` stops at the container's root and may not climb out
 * of the directory (`../x` into `/dir` fails the request, into `/` is `/x`), nor may a relative
 * symlink's or a hardlink's target (docker's breakout checks; dockerd 20.10 refuses the same);
 * missing parents are created (with `danglingLinksFail`, not through a symlink to a missing
 * path); existing non-directories are replaced, directories merged;
 * `.wh.*` names are ordinary files (whiteouts mean something only in image layers). Every path
 * is resolved inside the container root one component at a time, so a symlink in the container
 * or planted by the archive (`/evil -> /`) leads back into the root, never to the host.
 * Entries written before a failure stay, as in docker.
 */
export async function extractArchive(target: ExtractTarget, tar: Readable, opts: ExtractOptions): Promise<void> {
  await RootedFs.with(target.root, async (fs) => {
    const ctx: EntryContext = { fs, dirTimes: [], invalid: ARCHIVE_WORDS.invalid, log: opts.log };
    await readTarEntries(tar, ARCHIVE_WORDS, (header, content) => extractEntry(target, header, content, ctx, opts));
    await restoreDirTimes(fs, ctx.dirTimes);
  });
}

const ARCHIVE_WORDS = {
  invalid: 'invalid archive',
  unreadable: 'cannot read archive',
  failed: 'cannot extract archive',
  inconsistentCodes: ['ENOTDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG'],
};

async function extractEntry(target: ExtractTarget, h: RawTarHeader, content: EntryContent, ctx: EntryContext, opts: ExtractOptions): Promise<void> {
  const rel = relativeName(h.name, target, opts.clampToDestination ?? false);
  // The directory itself stays as it is (docker skips ".").
  if (rel === '') {
    content.resume();
    return;
  }
  const type = entryKind(h, ARCHIVE_WORDS.invalid);
  const path = posix.join(target.destPath, rel).slice(1);
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  // Never follow the final component: resolve the parent, then replace what is there.
  const parentPath = slash < 0 ? '' : path.slice(0, slash);
  const parent = await (opts.danglingLinksFail ? ctx.fs.makeDirsNoDangling(parentPath, 0o755) : ctx.fs.makeDirs(parentPath, 0o755)).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT' || !opts.danglingLinksFail) throw err;
    throw new InvalidParameterError(`invalid archive: cannot extract "/${path}": ${(err as { path?: string }).path ?? `/${parentPath}`} is a symlink to a path that does not exist in the container`, { cause: err });
  });
  try {
    if (opts.noOverwriteDirNonDir) await refuseTypeChange(parent.entry(base), path, type === 'directory');
    const entry = tarEntryHeader(rel, type, h, opts.owner ?? undefined);
    if (type === 'symlink' && !(opts.clampToDestination ?? false)) refuseSymlinkBreakout(target, path, h.linkname ?? '');
    // Link names are relative to the extraction directory too, and may not climb out of it.
    if (type === 'link') entry.linkname = hardlinkTarget(target, path, h.linkname ?? '', opts.clampToDestination ?? false);
    await writeTarEntry(parent, base, entry, content, ctx);
    if (type !== 'file') content.resume();
  } finally {
    parent.close();
  }
}

/**
 * An entry or link name as a path below the extraction directory ('' for the directory itself),
 * as docker's chrooted untar sees it. A leading `/` means the directory. `..` stops at the
 * chroot's root: the container's root for the archive API, where climbing above a deeper
 * destination is refused like docker's breakout check (it would land outside what the user asked
 * to write); the destination itself for ADD (`clampToDestination`).
 */
function relativeName(name: string, target: ExtractTarget, clampToDestination: boolean): string {
  if (name.includes('\0')) throw new InvalidParameterError(`invalid archive: entry name ${JSON.stringify(name)} contains NUL`);
  if (clampToDestination) return posix.normalize(`/${name}`).slice(1).replace(/\/+$/, '');
  // destPath is absolute, so normalize stops `..` at the container's root.
  const rel = posix.relative(target.destPath, posix.normalize(`${target.destPath}/${name.replace(/^\/+/, '')}`));
  if (rel === '..' || rel.startsWith('../')) {
    throw new InvalidParameterError(`invalid archive: "${name}" is outside of the extraction directory "${target.destPath}"`);
  }
  return rel;
}

async function refuseTypeChange(at: string, path: string, entryIsDir: boolean): Promise<void> {
  const existing = await lstat(at).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  if (existing === null || existing.isDirectory() === entryIsDir) return;
  path = `/${path}`;
  throw new InvalidParameterError(
    entryIsDir ? `cannot overwrite non-directory "${path}" with directory "${path}"` : `cannot overwrite directory "${path}" with non-directory "${path}"`,
  );
}

/** A hardlink's target as a path from the container root, checked to stay in the extraction directory. */
function hardlinkTarget(target: ExtractTarget, path: string, linkname: string, clampToDestination: boolean): string {
  const rel = relativeName(linkname, target, clampToDestination);
  if (rel === '') throw new InvalidParameterError(`invalid archive: hardlink "/${path}" points at the extraction directory`);
  return posix.join(target.destPath, rel);
}

/**
 * docker's breakout check on symlinks: a relative target that, from the link's directory, climbs
 * above the extraction directory is refused (`../../etc` into `/tmp`); an absolute one counts as
 * inside, and into the root nothing can climb out. The comparison is docker's string prefix.
 * Whatever a link says, later entries written through it are resolved inside the root.
 */
function refuseSymlinkBreakout(target: ExtractTarget, path: string, linkname: string): void {
  const resolved = posix.join(posix.dirname(`/${path}`), linkname.startsWith('/') ? `.${linkname}` : linkname);
  if (!resolved.startsWith(target.destPath)) {
    throw new InvalidParameterError(`invalid archive: symlink "/${path}" -> "${linkname}" points outside of the extraction directory "${target.destPath}"`);
  }
}
