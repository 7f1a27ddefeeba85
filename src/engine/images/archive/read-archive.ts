import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import { validateTarHeader, type RawTarHeader } from '../../../drivers/snapshotter/tar-entry-header.js';
import { TarInputError, TarReader } from '../../../drivers/snapshotter/tar-reader.js';
import type { EntryContent } from '../../../drivers/snapshotter/write-tar-entry.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import { archiveError, invalidArchive } from './archive-error.js';
import { decompressInput } from '../../../core/compression.js';
import type { UnpackAhead } from '../unpack-ahead.js';

/** What one pass over an image archive leaves: file contents in the store, names in memory. */
export interface ArchiveContents {
  /** Every regular file but the layout documents, by cleaned path → its blob in the content store. */
  files: Map<string, Digest>;
  /** Symbolic and hard links by cleaned path → cleaned target path (docker ≤ 24 links repeated layers). */
  links: Map<string, string>;
  /** The layout's small JSON documents, kept in memory. */
  documents: Map<string, Buffer>;
}

export const LAYOUT_DOCUMENTS: ReadonlySet<string> = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const BLOB_PATH = /^blobs\/sha256\/([^/]+)$/;

export interface ReadArchiveOptions {
  /** Where blobs that look like layers are unpacked as they are stored. */
  ahead?: UnpackAhead;
  /** Told each file entry's size before its content is read. */
  onEntry?: (size: number) => void;
}

/**
 * Reads an image archive (plain, gzip or zstd tar) in one pass. Blobs go to the content store as
 * they stream, since layers can be larger than memory and the manifests naming them usually come
 * last: `blobs/sha256/<hex>` is verified against its name, any other file (docker ≤ 24's
 * `<hex>/layer.tar`, `<hex>.json`) is stored by its content digest. `lease` sees each digest
 * before garbage collection could take it: before the write for verified blobs, as soon as the
 * content is hashed for the others.
 */
export async function readArchive(content: ContentStore, input: Readable, lease: (d: Digest) => void, opts: ReadArchiveOptions = {}): Promise<ArchiveContents> {
  const out: ArchiveContents = { files: new Map(), links: new Map(), documents: new Map() };
  let source: Readable | undefined;
  try {
    source = await decompressInput(input);
    const reader = new TarReader(source);
    for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
      // docker load untars with createTarFile, which ignores PAX global headers and refuses GNU sparse files.
      if (entry.header.type === 'pax-global-header') continue;
      if (entry.header.type === 'gnu-sparse') throw invalidArchive(`unhandled tar header type 83 (GNU sparse) for "${entry.header.name}"`);
      validateTarHeader(entry.header, 'invalid archive');
      await readEntry(content, entry.header, entry.content, out, lease, opts);
    }
    await reader.drain();
    return out;
  } catch (err) {
    source?.destroy();
    // The decompressor's or the input's own failure, typed by archiveError like any other.
    throw archiveError(err instanceof TarInputError ? err.cause : err);
  }
}

async function readEntry(
  content: ContentStore,
  header: RawTarHeader,
  entry: EntryContent,
  out: ArchiveContents,
  lease: (d: Digest) => void,
  opts: ReadArchiveOptions,
): Promise<void> {
  const name = cleanName(header.name);
  const type = header.type ?? 'file';
  const blob = BLOB_PATH.exec(name);
  if (type === 'symlink' || type === 'link') {
    if (blob) throw invalidArchive(`blob entry "${name}" is a ${type}, not a regular file`);
    const target = header.linkname ?? '';
    // A symlink is relative to its directory; a hard link names a path from the archive root.
    out.links.set(name, cleanName(type === 'symlink' ? posix.join(posix.dirname(name), target) : target, header.name));
    entry.resume();
    return;
  }
  if (type !== 'file' && type !== 'contiguous-file') {
    if (blob) throw invalidArchive(`blob entry "${name}" is a ${type}, not a regular file`);
    entry.resume(); // directories and anything else carry nothing we use
    return;
  }
  if (LAYOUT_DOCUMENTS.has(name)) {
    out.documents.set(name, await readSmall(name, entry));
    return;
  }
  opts.onEntry?.(header.size ?? 0);
  const fed = opts.ahead?.feed(entry, header.size ?? 0);
  try {
    if (blob) {
      const digest = `sha256:${blob[1]}`;
      if (!isDigest(digest)) throw invalidArchive(`blob entry "${name}" is not named by a sha256 digest`);
      lease(digest);
      try {
        await content.writeStream(fed?.source ?? entry, { digest });
      } catch (err) {
        // With only a digest expected, the store refuses a blob for one reason: its content.
        if (err instanceof InvalidParameterError) throw invalidArchive(`blob ${digest} does not match its digest`, err);
        throw err;
      }
      out.files.set(name, digest);
      fed?.stored(digest);
      return;
    }
    const info = await content.writeStream(fed?.source ?? entry, { lease });
    out.files.set(name, info.digest);
    fed?.stored(info.digest);
  } catch (err) {
    fed?.abandon();
    throw err;
  }
}

/**
 * A tar name as a relative path without `./`. Names that climb out of the archive are refused,
 * even ones a normaliser would bring back inside: no legitimate writer produces them.
 */
export function cleanName(name: string, shown: string = name): string {
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed.startsWith('/') || trimmed.split('/').includes('..')) {
    throw invalidArchive(`entry "${shown}" points outside the archive`);
  }
  const clean = posix.normalize(trimmed);
  return clean === '.' ? '' : clean;
}

async function readSmall(name: string, entry: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const data of entry) {
    const chunk = data as Buffer;
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) throw invalidArchive(`${name} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The blob stored for `path`, following links; undefined when the archive has no such file. */
export function findFile(archive: ArchiveContents, path: string): Digest | undefined {
  let current = path;
  for (let hops = 0; hops <= 16; hops++) {
    const found = archive.files.get(current);
    if (found) return found;
    const next = archive.links.get(current);
    if (next === undefined) return undefined;
    current = next;
  }
  throw invalidArchive(`too many levels of links resolving "${path}"`);
}
