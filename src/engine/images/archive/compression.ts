import { open } from 'node:fs/promises';
import { PassThrough, Readable, type Transform } from 'node:stream';
import type { Digest } from '../../../core/digest.js';
import { NotImplementedError } from '../../../core/errors.js';
import { MEDIA_TYPES } from '../../../oci/image-types.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import { zlib } from '../../../core/node-builtins.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Bytes needed to tell the formats apart (xz's magic is the longest). */
const MAGIC_LENGTH = 6;

/** Identifies a stream's compression by its first bytes, as docker's DecompressStream does. */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (...magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  return 'none';
}

/** A decompressing transform; bzip2 and xz have no decompressor in Node, so they are refused by name. */
export function decompressor(kind: Compression): Transform {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return zlib().createGunzip();
    case 'zstd':
      return zlib().createZstdDecompress();
    default:
      throw new NotImplementedError(`${kind}-compressed input is not supported: decompress it first, or use gzip or zstd`);
  }
}

/** Pipes `source` through a decompressor, forwarding the source's errors (pipe() does not). */
export function decompress(source: Readable, kind: Compression): Readable {
  const out = decompressor(kind);
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

/**
 * The decompressed content of `input`, whose compression is detected from its first bytes. The
 * input is read through a non-destroying iterator: if the caller gives up (a bad archive), the
 * input stays the caller's to drain or close, e.g. an HTTP request whose response is still due.
 */
export async function decompressInput(input: Readable): Promise<Readable> {
  const it = input.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let length = 0;
  while (length < MAGIC_LENGTH) {
    const r = await it.next();
    if (r.done) break;
    const chunk = Buffer.from(r.value);
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  const out = decompressor(kind);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  raw.on('error', (err) => out.destroy(err));
  return raw.pipe(out);
}

/** The compression a layer media type implies, or undefined for types we cannot read. */
export function layerCompression(mediaType: string): Compression | undefined {
  switch (mediaType) {
    case MEDIA_TYPES.ociLayer:
    case MEDIA_TYPES.dockerLayer:
      return 'none';
    case MEDIA_TYPES.ociLayerGzip:
    case MEDIA_TYPES.dockerLayerGzip:
      return 'gzip';
    case MEDIA_TYPES.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** The OCI layer media type for a compression found by sniffing (docker archives name none). */
export function layerMediaType(kind: Compression): string {
  if (kind === 'gzip') return MEDIA_TYPES.ociLayerGzip;
  if (kind === 'zstd') return MEDIA_TYPES.ociLayerZstd;
  if (kind === 'none') return MEDIA_TYPES.ociLayer;
  throw new NotImplementedError(`${kind}-compressed layers are not supported: use uncompressed, gzip or zstd layers`);
}

/** Sniffs a stored blob's compression from its first bytes. */
export async function blobCompression(content: ContentStore, digest: Digest): Promise<Compression> {
  const fh = await open(content.blobPath(digest), 'r');
  try {
    const buf = Buffer.alloc(MAGIC_LENGTH);
    const { bytesRead } = await fh.read(buf, 0, MAGIC_LENGTH, 0);
    return detectCompression(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
