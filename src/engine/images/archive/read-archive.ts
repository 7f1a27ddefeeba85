import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { isDigest, type Digest } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import { archiveError, invalidArchive } from './archive-error.js';
import { decompressInput } from './compression.js';

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

/** What tar-stream really hands out: its types name only the common type flags. */
type EntryHeader = { name: string; type?: string | null; linkname?: string | null };

/**
 * Reads an image archive (plain, gzip or zstd tar) in one pass. Blobs go to the content store as
 * they stream, since layers can be larger than memory and the manifests naming them usually come
 * last: `blobs/sha256/<hex>` is verified against its name, any other file (docker ≤ 24's
 * `<hex>/layer.tar`, `<hex>.json`) is stored by its content digest. `lease` sees each digest
 * before garbage collection could take it (for verified blobs) or right after it is stored.
 */
export async function readArchive(content: ContentStore, input: Readable, lease: (d: Digest) => void): Promise<ArchiveContents> {
  const out: ArchiveContents = { files: new Map(), links: new Map(), documents: new Map() };
  let source: Readable | undefined;
  const extract = tarStream.extract();
  try {
    source = await decompressInput(input);
    source.on('error', (err) => extract.destroy(err));
    source.pipe(extract);
    for await (const entry of extract) await readEntry(content, entry.header as EntryHeader, entry, out, lease);
    return out;
  } catch (err) {
    source?.destroy();
    extract.destroy();
    throw archiveError(err);
  }
}

async function readEntry(
  content: ContentStore,
  header: EntryHeader,
  entry: AsyncIterable<unknown> & { resume(): unknown },
  out: ArchiveContents,
  lease: (d: Digest) => void,
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
  if (blob) {
    const digest = `sha256:${blob[1]}`;
    if (!isDigest(digest)) throw invalidArchive(`blob entry "${name}" is not named by a sha256 digest`);
    lease(digest);
    try {
      await content.writeStream(Readable.from(entry, { objectMode: false }), { digest });
    } catch (err) {
      // With only a digest expected, the store refuses a blob for one reason: its content.
      if (err instanceof InvalidParameterError) throw invalidArchive(`blob ${digest} does not match its digest`, err);
      throw err;
    }
    out.files.set(name, digest);
    return;
  }
  const info = await content.writeStream(Readable.from(entry, { objectMode: false }));
  lease(info.digest);
  out.files.set(name, info.digest);
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
