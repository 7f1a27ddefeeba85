import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { errorMessage } from '../../../core/errors.js';
import type { LogLine } from './json-file-reader.js';

/**
 * Copies log lines to a client the way moby's `WriteLogStream` does: without a TTY each line is a
 * multiplexed frame on its stream, with a TTY the bytes go out raw. A read error after output has
 * started can only be reported in-band, as "Error grabbing logs: …" on the daemon-error stream (3).
 *
 * The framing itself is a wire concern owned by the API layer (`api/streams/multiplex.ts`), which
 * engine/ may not import, so the route passes its `frame` function in.
 */
export type Framer = (stream: 1 | 2 | 3, payload: Buffer) => Buffer;

/**
 * Writes every line from `open(signal)` to `out`, then ends `out`. When `out` closes first (the
 * client went away), `signal` aborts: a following reader is usually parked waiting for the file to
 * grow, and only the signal can wake it — returning from the iterator would queue behind that wait.
 * Waits for 'drain' when `out` is full, so a slow client slows the reader instead of growing memory.
 */
export async function writeLogs(
  out: Writable,
  open: (signal: AbortSignal) => AsyncIterable<LogLine>,
  tty: boolean,
  frame: Framer,
): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  const gone = (): void => controller.abort();
  out.once('close', gone);
  out.once('error', gone);
  const encode = (stream: 1 | 2 | 3, payload: Buffer): Buffer => (tty ? payload : frame(stream, payload));
  try {
    for await (const { stream, line } of open(signal)) {
      if (signal.aborted) break;
      if (!out.write(encode(stream === 'stdout' ? 1 : 2, line))) await once(out, 'drain', { signal });
    }
  } catch (err) {
    // An abort rejects the 'drain' wait; that is the client leaving, not an error to report.
    if (!signal.aborted && out.writable) out.write(encode(3, Buffer.from(`Error grabbing logs: ${errorMessage(err)}\n`)));
  } finally {
    out.off('close', gone);
    out.off('error', gone);
    if (!signal.aborted && !out.writableEnded) out.end();
    controller.abort(); // nothing reads any more; release a reader that is still alive
  }
}
