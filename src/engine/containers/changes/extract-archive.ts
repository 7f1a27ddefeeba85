import { tarEntryHeader, type RawTarHeader } from '../../../drivers/snapshotter/tar-entry-header.js';
import { link, lstat, mkdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { readTarEntries } from '../../../drivers/snapshotter/read-tar-entries.js';
import { InvalidParameterError, errnoCode } from '../../../core/errors.js';
import { resolveInRoot } from '../../../drivers/snapshotter/resolve-in-root.js';
import { restoreDirTimes, writeTarEntry, type EntryContent, type EntryContext, type TarEntryHeader } from '../../../drivers/snapshotter/write-tar-entry.js';

/** Where an archive goes: an existing directory (`destPath`, symlinks already resolved) inside the container root. */
export interface ExtractTarget {
  root: string;
  destPath: string;
}

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
  /** Owner for every entry (`docker cp -a`: the container's user); null keeps the archive's. */
  owner: { uid: number; gid: number } | null;
  log: (msg: string) => void;
}

/** What tar-stream really hands out: unknown type flags come as null, PAX records as strings. */

const KINDS: ReadonlySet<string> = new Set(['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Unpacks a `PUT /containers/{id}/archive` tar into the target directory like docker's Unpack:
 * names are relative to the directory and may not climb out of it (`../x` fails the request);
 * missing parents are created; existing non-directories are replaced, directories merged;
 * `.wh.*` names are ordinary files (whiteouts mean something only in image layers). Every path
 * is resolved inside the container root one component at a time, so a symlink in the container
 * or planted by the archive (`/evil -> /`) leads back into the root, never to the host.
 * Entries written before a failure stay, as in docker.
 */
export async function extractArchive(target: ExtractTarget, tar: Readable, opts: ExtractOptions): Promise<void> {
  const ctx: EntryContext = { root: target.root, dirTimes: [], log: opts.log };
  await readTarEntries(tar, ARCHIVE_WORDS, (header, content) => extractEntry(target, header, content, ctx, opts));
  await restoreDirTimes(ctx.dirTimes);
}

const ARCHIVE_WORDS = { invalid: 'invalid archive', unreadable: 'cannot read archive', failed: 'cannot extract archive', inconsistentCodes: ['ENOTDIR', 'EEXIST'] };

async function extractEntry(target: ExtractTarget, h: RawTarHeader, content: EntryContent, ctx: EntryContext, opts: ExtractOptions): Promise<void> {
  const rel = relativeName(h.name, target.destPath);
  const type = h.type === 'contiguous-file' ? 'file' : h.type;
  // The directory itself stays as it is (docker skips "."); unknown types (sparse, vendor) are skipped.
  if (rel === '' || type === null || !KINDS.has(type)) {
    if (rel !== '') opts.log(`skipping archive entry "${h.name}" of unsupported type ${String(h.type)}`);
    content.resume();
    return;
  }
  const path = posix.join(target.destPath, rel);
  const slash = path.lastIndexOf('/');
  // Never follow the final component: resolve the parent, then replace what is there.
  const parent = await resolveInRoot(target.root, path.slice(0, slash));
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const abs = `${parent}/${path.slice(slash + 1)}`;
  if (opts.noOverwriteDirNonDir) await refuseTypeChange(abs, path, type === 'directory');
  if (type === 'link') {
    content.resume();
    await writeHardlink(target, abs, path, h.linkname ?? '');
    return;
  }
  await writeTarEntry(abs, tarEntryHeader(rel, type as TarEntryHeader['kind'], h, opts.owner ?? undefined), content, ctx);
  if (type !== 'file') content.resume();
}

/**
 * An entry or link name as a path below the extraction directory ('' for the directory itself).
 * A leading `/` means the directory, as in docker; climbing above it is refused like docker's
 * breakout check, because it would land outside what the user asked to write.
 */
function relativeName(name: string, destPath: string): string {
  if (name.includes('\0')) throw new InvalidParameterError(`invalid archive: entry name ${JSON.stringify(name)} contains NUL`);
  const clean = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) {
    throw new InvalidParameterError(`invalid archive: "${name}" is outside of the extraction directory "${destPath}"`);
  }
  return clean === '.' ? '' : clean;
}

async function refuseTypeChange(abs: string, path: string, entryIsDir: boolean): Promise<void> {
  const existing = await lstat(abs).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  if (existing === null || existing.isDirectory() === entryIsDir) return;
  throw new InvalidParameterError(
    entryIsDir ? `cannot overwrite non-directory "${path}" with directory "${path}"` : `cannot overwrite directory "${path}" with non-directory "${path}"`,
  );
}

/** Link names are relative to the extraction directory too, and resolved inside the container root. */
async function writeHardlink(target: ExtractTarget, abs: string, path: string, linkname: string): Promise<void> {
  const rel = relativeName(linkname, target.destPath);
  if (rel === '') throw new InvalidParameterError(`invalid archive: hardlink "${path}" points at the extraction directory`);
  const to = posix.join(target.destPath, rel);
  const slash = to.lastIndexOf('/');
  // link(2) does not follow a final symlink: resolve the target's parent only, like the entry's.
  const from = `${await resolveInRoot(target.root, to.slice(0, slash))}/${to.slice(slash + 1)}`;
  await rm(abs, { recursive: true, force: true });
  try {
    await link(from, abs);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EPERM') {
      throw new InvalidParameterError(`invalid archive: hardlink "${path}" points at "${linkname}", which is not a file in the container`, { cause: err });
    }
    throw err;
  }
}


