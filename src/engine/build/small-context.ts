import { closeSync, constants, fchmodSync, fchownSync, futimesSync, mkdirSync, openSync, utimesSync, writeSync, chmodSync, chownSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { readTarEntries } from '../../drivers/snapshotter/read-tar-entries.js';
import { entryKind, tarEntryHeader } from '../../drivers/snapshotter/tar-entry-header.js';
import type { TarEntryHeader } from '../../drivers/snapshotter/write-tar-entry.js';

/**
 * A build context small enough to take whole (the common case: a few files the docker CLI sends
 * for every build, cached or not) is written with synchronous calls instead of one thread-pool
 * round trip per open, write, chown, chmod and utimes: a 25-file context went from about 20 ms
 * of round trips to well under 1 ms. Bounded so the event loop is never held for long.
 */
export const SMALL_CONTEXT_BYTES = 8 << 20;
export const SMALL_CONTEXT_ENTRIES = 2000;

interface PlainEntry {
  h: TarEntryHeader;
  data: Buffer | null;
}

const WORDS = { invalid: 'invalid archive', unreadable: 'cannot read archive', failed: 'cannot extract archive', inconsistentCodes: ['ENOTDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG'] };

/**
 * The first `limit` bytes of `input`: `all` when that is the whole stream, else `rest` is the
 * stream again from its start (what was read, then the remainder).
 */
export async function readUpTo(input: Readable, limit: number): Promise<{ all: Buffer } | { rest: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { all: Buffer.concat(chunks, size) };
    chunks.push(r.value);
    size += r.value.length;
    if (size > limit) break;
  }
  async function* again(): AsyncGenerator<Buffer> {
    yield* chunks;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { rest: Readable.from(again()) };
}

/**
 * The archive's entries when it holds only plain files and directories (no links, devices or
 * xattrs), each name once and none below a file: then writing them in order into an empty
 * directory can meet nothing but what it wrote itself, and the result is what extractArchive
 * would make (same modes, owners, times, and missing parents made 0755). Undefined otherwise:
 * the caller extracts the general way. A malformed archive fails as extractArchive fails it.
 */
export async function plainEntries(tar: Buffer): Promise<PlainEntry[] | undefined> {
  const out: PlainEntry[] = [];
  const kinds = new Map<string, TarEntryHeader['kind']>();
  const parents = new Set<string>();
  let plain = true;
  await readTarEntries(Readable.from([tar]), WORDS, async (raw, content) => {
    // Names as extractArchive takes them into `/`: `..` stops at the top, "." is the directory itself.
    const rel = posix.normalize(`/${raw.name}`).slice(1).replace(/\/+$/, '');
    const kind = entryKind(raw, WORDS.invalid);
    if (rel === '' || !plain) {
      content.resume();
      return;
    }
    // A name twice, a file where a directory was implied or below a file: replacements, which extractArchive handles.
    const replaces = kinds.has(rel) || (kind === 'file' && parents.has(rel));
    if ((kind !== 'file' && kind !== 'directory') || (raw.xattrs?.size ?? 0) > 0 || replaces || out.length >= SMALL_CONTEXT_ENTRIES) {
      plain = false;
      content.resume();
      return;
    }
    const h = tarEntryHeader(rel, kind, raw);
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      const parent = rel.slice(0, i);
      if (kinds.get(parent) === 'file') plain = false;
      parents.add(parent);
    }
    kinds.set(rel, kind);
    let data: Buffer | null = null;
    if (kind === 'file') {
      const parts: Buffer[] = [];
      for await (const chunk of content) parts.push(chunk as Buffer);
      data = Buffer.concat(parts);
    } else content.resume();
    out.push({ h, data });
  });
  return plain ? out : undefined;
}

/** Writes `entries` (from plainEntries) into the empty directory `root`, as extractArchive would. */
export function writePlainEntries(root: string, entries: readonly PlainEntry[]): void {
  const made = new Set<string>(['']);
  const dirTimes: TarEntryHeader[] = [];
  const makeParents = (rel: string): void => {
    const parent = posix.dirname(rel);
    if (parent === '.' || made.has(parent)) return;
    makeParents(parent);
    mkdirSync(`${root}/${parent}`, 0o755);
    made.add(parent);
  };
  for (const { h, data } of entries) {
    makeParents(h.path);
    const abs = `${root}/${h.path}`;
    if (data === null) {
      if (!made.has(h.path)) mkdirSync(abs, 0o700);
      made.add(h.path);
      chownSync(abs, h.uid, h.gid);
      // chmod after chown: chown clears setuid/setgid.
      chmodSync(abs, h.mode & 0o7777);
      dirTimes.push(h);
      continue;
    }
    const fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
      fchownSync(fd, h.uid, h.gid);
      fchmodSync(fd, h.mode & 0o7777);
      futimesSync(fd, h.atime, h.mtime);
    } finally {
      closeSync(fd);
    }
  }
  // Directory times last, in archive order, as later entries would change them.
  for (const h of dirTimes) utimesSync(`${root}/${h.path}`, h.atime, h.mtime);
}
