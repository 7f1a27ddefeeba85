import type { Duplex, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { DEFAULT_DETACH_KEYS, DetachKeyFilter, parseDetachKeys } from '../../core/detach-keys.js';
import { peerCaughtUp } from '../../engine/system/client-sockets.js';
import { Demuxer, frame } from './multiplex.js';

/** How long a stream's first bytes wait for the client to read the 101 answer. */
const UPGRADE_READ_WAIT_MS = 1000;

/**
 * The answer the docker CLI insists on for attach and exec start, written by hand on the socket.
 * Resolves when the stream may begin: once the client has read the answer (or a second passed),
 * for docker-py loses any output that arrives together with it (engine/system/client-sockets.ts).
 */
export async function writeUpgrade(socket: Duplex, tty: boolean, apiVersion: number): Promise<void> {
  const type = tty || apiVersion < 1.42 ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  await peerCaughtUp(socket, UPGRADE_READ_WAIT_MS);
}

/** What the monitor sends and what the client gets. */
export interface OutputShape {
  /** The process has a terminal: the monitor's bytes are raw, else docker frames. */
  tty: boolean;
  /**
   * The client gets raw bytes, else frames; the process's `tty` when unset. Exec start asks for
   * its own (docker frames by the start request's `Tty`, the terminal comes from exec create).
   */
  rawOutput?: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface SpliceOptions extends OutputShape {
  stdin: boolean;
  /**
   * The container closes its stdin when this client's input ends (StdinOnce; exec always).
   * Without it, or with a TTY, the end of the client's input ends the whole attach, as in docker.
   */
  stdinOnce?: boolean;
  /** Bytes the client sent right after its request headers (already stdin). */
  head?: Buffer;
  /**
   * Watched for in the client's input on a TTY stream (docker's escape proxy, moby/term): when
   * typed, the stream ends and the process keeps running. Never on a stream without a TTY.
   */
  detachKeys?: Buffer;
  /** Told when the client detached with the keys. */
  onDetach?: () => void;
  /** Awaited before the client's stream is ended (exec: its exit code must be readable by then). */
  beforeEnd?: () => Promise<void>;
}

/** Copies the monitor's output to `out` in the client's framing, keeping only the streams it asked for. */
function forwardOutput(out: Writable, monitor: Socket, opts: OutputShape): void {
  const raw = opts.rawOutput ?? opts.tty;
  if (opts.tty) {
    // A terminal has one output stream, which docker attaches as stdout.
    monitor.on('data', (chunk: Buffer) => {
      if (opts.stdout || opts.stderr) out.write(raw ? chunk : frame(1, chunk));
    });
    return;
  }
  if (!raw && opts.stdout && opts.stderr) {
    monitor.on('data', (chunk: Buffer) => out.write(chunk));
    return;
  }
  const demux = new Demuxer();
  monitor.on('data', (chunk: Buffer) => {
    for (const f of demux.push(chunk)) {
      if (f.stream === 0) continue;
      if ((f.stream === 1 && opts.stdout) || (f.stream === 2 && opts.stderr) || f.stream === 3) out.write(raw ? f.payload : frame(f.stream, f.payload));
    }
  });
}

/**
 * Output only, on a plain (not upgraded) response: what dockerode's attach and exec start
 * without `hijack` ask for. Ends the response when the container's output ends (after
 * `beforeEnd`); a client that leaves closes the monitor connection.
 */
export function streamOutput(res: Writable, monitor: Socket, opts: OutputShape & { beforeEnd?: () => Promise<void> }): Promise<void> {
  // No half-close towards the monitor: it would read as an empty stdin and close the container's.
  forwardOutput(res, monitor, opts);
  return new Promise((resolve) => {
    let done = false;
    const finish = (outputEnded: boolean): void => {
      if (done) return;
      done = true;
      if (!monitor.destroyed) monitor.destroy();
      const before = outputEnded && opts.beforeEnd ? opts.beforeEnd() : Promise.resolve();
      void before
        .catch(() => undefined)
        .then(() => {
          if (!res.writableEnded) res.end();
          resolve();
        });
    };
    monitor.on('end', () => finish(true));
    monitor.on('close', () => finish(true));
    monitor.on('error', () => finish(true));
    res.on('close', () => finish(false));
    if (monitor.readableEnded || monitor.destroyed) finish(true);
  });
}

/**
 * Joins a hijacked client connection to a monitor's attach socket: output to the client (only
 * the streams it asked for), stdin to the monitor, a client half-close passed on, and the end of
 * the container's output ending the client's stream. Resolves when both sides are done.
 */
export function splice(client: Duplex, monitor: Socket, opts: SpliceOptions): Promise<void> {
  forwardOutput(client, monitor, opts);
  const escape = opts.stdin && opts.tty ? new DetachKeyFilter(opts.detachKeys && opts.detachKeys.length > 0 ? opts.detachKeys : parseDetachKeys(DEFAULT_DETACH_KEYS)) : undefined;
  return new Promise((resolve) => {
    let done = false;
    /** outputEnded: the container's side ended, so the client gets the end (after `beforeEnd`). */
    const finish = (outputEnded: boolean): void => {
      if (done) return;
      done = true;
      if (!monitor.destroyed) monitor.destroy();
      const before = outputEnded && opts.beforeEnd ? opts.beforeEnd() : Promise.resolve();
      void before
        .catch(() => undefined)
        .then(() => {
          // A half-close: what the client still sends is read and dropped until it closes, so
          // it sees the end of the stream (docker's CloseWrite) rather than a reset.
          if (!client.destroyed) client.end();
          resolve();
        });
    };
    const input = (chunk: Buffer): void => {
      if (done || !opts.stdin) return;
      if (!escape) {
        monitor.write(chunk);
        return;
      }
      const r = escape.feed(chunk);
      if (r.forward.length > 0) monitor.write(r.forward);
      if (r.detached) {
        opts.onDetach?.();
        finish(false);
      }
    };
    if (opts.head && opts.head.length > 0) input(opts.head);
    client.on('data', input);
    // docker (container/stream/attach.go): when attached stdin ends, either the container's stdin
    // is closed (StdinOnce without TTY, which the monitor does on our half-close) or this
    // attach's output is closed too. A TTY client that detaches only closes its side, so without
    // the second rule the session would linger until the container next writes.
    const endsSession = opts.stdin && (opts.tty || opts.stdinOnce !== true);
    const inputEnded = (): void => {
      if (endsSession) finish(false);
      else if (!monitor.destroyed) monitor.end();
    };
    client.on('end', inputEnded);
    monitor.on('end', () => finish(true));
    monitor.on('close', () => finish(true));
    monitor.on('error', () => finish(true));
    client.on('close', () => finish(false));
    client.on('error', () => finish(false));
    client.resume();
    if (client.destroyed) finish(false);
    // A client that half-closed before the stream was joined (`docker run -i </dev/null` does so
    // before it even starts the container) had its 'end' emitted already, with nobody listening:
    // a paused socket still ends once it has nothing buffered.
    else if (client.readableEnded) inputEnded();
    // A process that ends at once (`exec … true`) may have had its output closed before we got
    // here: net sockets read from connect on, so that 'end' was already emitted, unseen.
    if (monitor.readableEnded || monitor.destroyed) finish(true);
  });
}
