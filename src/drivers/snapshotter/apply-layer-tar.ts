import { entryKind, tarEntryHeader, type RawTarHeader } from './tar-entry-header.js';
import type { Readable } from 'node:stream';
import { readTarEntries } from './read-tar-entries.js';

import { InvalidParameterError } from '../../core/errors.js';
import { RootedFs } from '../host/rooted-fs.js';
import { cleanInRoot } from '../host/resolve-in-root.js';
import { restoreDirTimes, writeTarEntry, type EntryContent, type EntryContext } from './write-tar-entry.js';

const WHITEOUT_PREFIX = '.wh.';
const WHITEOUT_META_PREFIX = '.wh..wh.';
const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * How a driver turns OCI whiteouts into its own form. `dirAbs` is resolved inside the root and
 * exists. `writtenByLayer` holds the absolute paths this layer has created so far: an opaque marker
 * hides what lower layers had, not what the same layer put there before the marker.
 */
export interface WhiteoutHandler {
  /** `.wh.<name>` in `dirAbs`: `name` (one path component) must disappear. */
  onWhiteout(dirAbs: string, name: string, writtenByLayer: ReadonlySet<string>): Promise<void>;
  /** `.wh..wh..opq` in `dirAbs`: the directory hides all lower content. */
  onOpaque(dirAbs: string, writtenByLayer: ReadonlySet<string>): Promise<void>;
}


/**
 * Streams an uncompressed layer tar into `root` (an existing directory the caller owns, typically a
 * temp dir) and returns the bytes of regular files written. No entry can write outside `root`:
 * names are cleaned lexically, then their parent is resolved with symlinks re-rooted at `root`.
 * Throws InvalidParameterError for a malformed or hostile tar, SystemError for host failures (and
 * for a failing input stream, unless it failed with a typed error, which is passed on). On error
 * `tar` is destroyed and `root` is left half-written for the caller to discard.
 */
export async function applyLayerTar(
  root: string,
  tar: Readable,
  whiteouts: WhiteoutHandler,
  log: (msg: string) => void = () => undefined,
): Promise<number> {
  return await RootedFs.with(root, async (fs) => {
    const ctx: EntryContext = { fs, dirTimes: [], invalid: LAYER_WORDS.invalid, log };
    const written = new Set<string>();
    let size = 0;
    await readTarEntries(tar, LAYER_WORDS, async (header, content) => {
      size += await applyEntry(header, content, ctx, written, whiteouts);
    });
    await restoreDirTimes(fs, ctx.dirTimes);
    return size;
  });
}

/** ENOTDIR: `a` a file, then `a/b`; ELOOP: a symlink chain too long; ENAMETOOLONG: a name past the kernel's limits. */
const LAYER_WORDS = { invalid: 'invalid layer tar', unreadable: 'cannot read layer tar', failed: 'cannot unpack layer', inconsistentCodes: ['ENOTDIR', 'ELOOP', 'ENAMETOOLONG'] };

/** Applies one entry; returns the regular-file bytes it wrote. */
async function applyEntry(
  header: RawTarHeader,
  content: EntryContent,
  ctx: EntryContext,
  written: Set<string>,
  whiteouts: WhiteoutHandler,
): Promise<number> {
  const path = cleanInRoot(header.name);
  // The root itself is the layer's, as in docker.
  if (path === '') {
    content.resume();
    return 0;
  }
  const kind = entryKind(header, LAYER_WORDS.invalid);
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  // Never follow the final component: resolve the parent only, then replace what is there. Like
  // docker, a missing parent is created (0755, root-owned) rather than rejected.
  const parent = await ctx.fs.makeDirs(slash < 0 ? '' : path.slice(0, slash), 0o755);
  try {
    // The layer is unpacked into a directory only the daemon writes, so the parent's real path
    // (which has no symlink in it) names the same directory for the whiteout handlers.
    if (base.startsWith(WHITEOUT_PREFIX)) {
      content.resume();
      await applyWhiteout(parent.realPath, base, header.name, written, whiteouts);
      return 0;
    }
    const entryHeader = tarEntryHeader(path, kind, header);
    await writeTarEntry(parent, base, entryHeader, content, ctx);
    if (entryHeader.kind !== 'file') content.resume();
    written.add(`${parent.realPath}/${base}`);
    return entryHeader.kind === 'file' ? (header.size ?? 0) : 0;
  } finally {
    parent.close();
  }
}

async function applyWhiteout(
  dirAbs: string,
  base: string,
  entryName: string,
  written: ReadonlySet<string>,
  whiteouts: WhiteoutHandler,
): Promise<void> {
  if (base === WHITEOUT_OPAQUE) return await whiteouts.onOpaque(dirAbs, written);
  // Other `.wh..wh.` names are AUFS bookkeeping (plink, orph…), meaningless here.
  if (base.startsWith(WHITEOUT_META_PREFIX)) return;
  const name = base.slice(WHITEOUT_PREFIX.length);
  // `.wh..` or `.wh...` would whiteout the directory itself or its parent, possibly the root's.
  if (name === '' || name === '.' || name === '..') {
    throw new InvalidParameterError(`invalid layer tar: whiteout "${entryName}" names no file`);
  }
  await whiteouts.onWhiteout(dirAbs, name, written);
}

