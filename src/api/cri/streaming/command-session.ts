import type { Readable, Writable } from 'node:stream';
import { errorMessage } from '../../../core/errors.js';
import { eventOrClose } from '../../../core/event-or-close.js';
import type { Logger } from '../../../core/logger.js';
import type { StreamIO, TerminalSize } from './backend.js';
import { encodeStatus, exitCodeStatus, internalErrorStatus, successStatus, type StreamStatus } from './status.js';

/**
 * An exec or attach once its transport (SPDY streams or WebSocket channels) is set up: the same
 * steps for both, as the kubelet's ServeExec/ServeAttach: run the backend on the streams, end the
 * output streams, write the status on the error stream, close the connection.
 */
export interface CommandTransport {
  /** The remotecommand protocol version agreed (1 for channel.k8s.io … 5 for v5.channel.k8s.io). */
  protocolVersion: number;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize: AsyncIterable<TerminalSize>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Writes these bytes (if any) on the error stream and ends it. */
  writeStatus(bytes: Buffer): Promise<void>;
  /** Ends the connection once everything written has gone out. */
  close(): Promise<void>;
}

/** Resolves when `w` has flushed and ended (or was destroyed); ends it if nobody did. */
export function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  const ended = eventOrClose(w, 'finish');
  if (!w.writableEnded) w.end();
  return ended;
}

/**
 * Runs `run` on the transport's streams. `run` resolves with an exit code (exec) or nothing
 * (attach); a rejection becomes the kubelet's internal-error status with `failurePrefix`.
 */
export async function serveCommand(
  t: CommandTransport,
  run: (io: StreamIO) => Promise<number | undefined>,
  failurePrefix: string,
  log: Logger,
): Promise<void> {
  let status: StreamStatus;
  try {
    const io: StreamIO = { resize: t.resize, signal: t.signal };
    if (t.stdin) io.stdin = t.stdin;
    if (t.stdout) io.stdout = t.stdout;
    if (t.stderr) io.stderr = t.stderr;
    const exitCode = await run(io);
    status = exitCode ? exitCodeStatus(exitCode) : successStatus();
  } catch (err) {
    log.warn({ err }, `${failurePrefix}: ${errorMessage(err)}`);
    status = internalErrorStatus(`${failurePrefix}: ${errorMessage(err)}`);
  }
  // Output first: the client reads the status only after stdout and stderr have ended.
  await Promise.all([endWritable(t.stdout), endWritable(t.stderr)]);
  await t.writeStatus(encodeStatus(status, t.protocolVersion)).catch(() => undefined);
  await t.close();
}
