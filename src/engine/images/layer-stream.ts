import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { decompress, type Compression } from '../../core/compression.js';
import type { Digest } from '../../core/digest.js';

/** A layer blob's uncompressed bytes on their way to an unpack (uncompressedLayer). */
export interface LayerStream {
  /** The decompressor's output (`raw` itself for a plain tar): its errors are the blob's fault. */
  tar: Readable;
  /** What the unpack reads: `tar`, hashed on the way when asked; it fails when `tar` or `raw` does. */
  stream: Readable;
  /** The digest of every byte `stream` passed (the diff ID), when it was asked for. */
  diffId(): Digest | undefined;
}

/**
 * The uncompressed bytes of a layer blob for an unpack, hashed on the way when `hashDiff`, for
 * an unpack from the store (LayerUnpacker) and one while a load streams (UnpackAhead) alike. A
 * plain tar goes through no decompressor at all.
 */
export function uncompressedLayer(raw: Readable, kind: Compression, hashDiff: boolean): LayerStream {
  // decompress() hands raw's errors on to its output.
  const tar = kind === 'none' ? raw : decompress(raw, kind);
  const hash = hashDiff ? createHash('sha256') : undefined;
  const stream = tar.pipe(
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash?.update(chunk);
        cb(null, chunk);
      },
    }),
  );
  // pipe() does not forward errors: a corrupt blob must fail the unpack, not stall it.
  tar.on('error', (e) => stream.destroy(e));
  // The unpack may have stopped reading by the time the stream fails (a zstd frame refused at its
  // first bytes, a blob that is no tar): an unheard 'error' would end the daemon. The caller
  // hears the failure from the unpack or from drainLayer.
  stream.on('error', () => undefined);
  return { tar, stream, diffId: () => (hash ? (`sha256:${hash.digest('hex')}` as Digest) : undefined) };
}

/**
 * Reads `stream` to its end: the tar parser stops at the end-of-archive marker, and the digest
 * must cover every byte. Rejects when the stream fails or is closed before its end.
 */
export async function drainLayer(stream: Readable): Promise<void> {
  if (stream.readableEnded) return;
  if (stream.destroyed) throw new Error('the layer stream was closed before its end');
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.on('close', () => reject(new Error('the layer stream was closed before its end')));
    stream.resume();
  });
}
