import type { FileHandle } from 'node:fs/promises';
import type { BatchHasher } from './native-ops.js';

/**
 * Bytes gathered while a write is in flight before the reader waits for it (backpressure).
 * Measured on 200 MB pulls with a perf_hooks 'gc' observer: 128 KiB makes many small writev
 * calls (a third more daemon CPU); 1 MiB keeps chunks alive past berthd's 1 MiB young
 * generation, and some pulls then ran 40-120 full collections (up to 1.1 s); 256 KiB ran 1-12.
 */
export const MAX_PENDING = 256 << 10;

/**
 * Writes every chunk of `source` to `fh` at its current offset and returns the bytes written.
 * `onChunk` sees each chunk in order before it is written (to hash it, count it, or refuse it by
 * throwing); a promise it returns is awaited before the next chunk is read (a tee's backpressure).
 *
 * One write is on the libuv pool at a time while the next chunks are read and handed to
 * `onChunk` on the main thread, so a digest and the disk overlap instead of taking turns; what
 * arrives meanwhile goes out in the next write, all at once (writev, no copy). Chunks are held
 * only until their write, at most MAX_PENDING of them. `source`'s chunks must not be reused by
 * their producer once yielded (true of streams and of the tar reader's slices).
 *
 * `hasher` sees every byte written, batch by batch beside its write: berthd's hashes on a pool
 * thread of its own (native-ops.ts), so neither the main thread nor the disk waits for it.
 */
export async function writeChunks(fh: FileHandle, source: AsyncIterable<unknown>, onChunk?: (chunk: Buffer) => Promise<void> | void, hasher?: BatchHasher): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let inFlight: Promise<void> | undefined;
  let writing = false;
  const start = (): void => {
    const buffers = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    writing = true;
    const write = writeAll(fh, buffers, bytes);
    const hashed = hasher?.update(buffers);
    // Promise.all hears the first failure only; the other's must not go unhandled.
    hashed?.catch(() => undefined);
    inFlight = (hashed ? Promise.all([write, hashed]).then(() => undefined) : write).finally(() => (writing = false));
    // Awaited before the next write or at the end; until then a failure must not go unheard.
    inFlight.catch(() => undefined);
  };
  hearErrors(source);
  try {
    for await (const data of source) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
      if (chunk.length === 0) continue;
      const wait = onChunk?.(chunk);
      if (wait) await wait;
      pending.push(chunk);
      pendingBytes += chunk.length;
      total += chunk.length;
      if (writing && pendingBytes < MAX_PENDING) continue;
      await inFlight;
      start();
    }
    await inFlight;
    if (pendingBytes > 0) start();
  } finally {
    // Whatever happened, no write is left running on a handle the caller is about to close.
    await inFlight?.catch(() => undefined);
  }
  await inFlight;
  return total;
}

/**
 * Keeps a stream's failure from ending the process as an unheard 'error' while no one iterates
 * it: before the loop starts (the caller still opening its file) or after it stopped (a
 * decompressor's second error, a connection reset). Iterating it still rejects with the error:
 * the stream keeps it (`errored`) and the iterator has its own listener. Call it as soon as the
 * stream is in hand.
 */
export function hearErrors(source: unknown): void {
  (source as { on?: (event: string, fn: () => void) => unknown }).on?.('error', () => undefined);
}

/** writev until every byte is written (a regular file may take fewer bytes at a time, e.g. at a quota). */
async function writeAll(fh: FileHandle, buffers: Buffer[], bytes: number): Promise<void> {
  let { bytesWritten } = buffers.length === 1 ? await fh.write(buffers[0]!) : await fh.writev(buffers);
  if (bytesWritten === bytes) return;
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  for (let at = 0; at < rest.length; at += bytesWritten) {
    ({ bytesWritten } = await fh.write(rest, at));
    if (bytesWritten === 0) throw new Error(`short write: ${rest.length - at} bytes could not be written`);
  }
}
