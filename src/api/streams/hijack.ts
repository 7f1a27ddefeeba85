import type { Duplex, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { Demuxer, frame } from './multiplex.js';

/** The answer the docker CLI insists on for attach and exec start, written by hand on the socket. */
export function writeUpgrade(socket: Duplex, tty: boolean, apiVersion: number): void {
  const type = tty || apiVersion < 1.42 ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
}

export interface SpliceOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /**
   * The container closes its stdin when this client's input ends (StdinOnce; exec always).
   * Without it, or with a TTY, the end of the client's input ends the whole attach, as in docker.
   */
  stdinOnce?: boolean;
  /** Bytes the client sent right after its request headers (already stdin). */
  head?: Buffer;
  /** Awaited before the client's stream is ended (exec: its exit code must be readable by then). */
  beforeEnd?: () => Promise<void>;
}

/** Copies the monitor's output to `out`, keeping only the streams the client asked for. */
function forwardOutput(out: Writable, monitor: Socket, opts: Pick<SpliceOptions, 'tty' | 'stdout' | 'stderr'>): void {
  const demux = !opts.tty && !(opts.stdout && opts.stderr) ? new Demuxer() : undefined;
  monitor.on('data', (chunk: Buffer) => {
    if (!demux) {
      if (opts.stdout || opts.stderr) out.write(chunk);
      return;
    }
    for (const f of demux.push(chunk)) {
      if (f.stream === 0) continue;
      if ((f.stream === 1 && opts.stdout) || (f.stream === 2 && opts.stderr) || f.stream === 3) out.write(frame(f.stream, f.payload));
    }
  });
}

/**
 * Output only, on a plain (not upgraded) response: what dockerode's attach without `hijack`
 * asks for. Ends the response when the container's output ends; a client that leaves closes
 * the monitor connection.
 */
export function streamOutput(res: Writable, monitor: Socket, opts: Pick<SpliceOptions, 'tty' | 'stdout' | 'stderr'>): Promise<void> {
  // No half-close towards the monitor: it would read as an empty stdin and close the container's.
  forwardOutput(res, monitor, opts);
  return new Promise((resolve) => {
    const finish = (): void => {
      if (!monitor.destroyed) monitor.destroy();
      if (!res.writableEnded) res.end();
      resolve();
    };
    monitor.on('close', finish);
    monitor.on('error', finish);
    res.on('close', finish);
    if (monitor.destroyed) finish();
  });
}

/**
 * Joins a hijacked client connection to a monitor's attach socket: output to the client (only
 * the streams it asked for), stdin to the monitor, a client half-close passed on, and the end of
 * the container's output ending the client's stream. Resolves when both sides are done.
 */
export function splice(client: Duplex, monitor: Socket, opts: SpliceOptions): Promise<void> {
  forwardOutput(client, monitor, opts);
  if (opts.stdin) {
    if (opts.head && opts.head.length > 0) monitor.write(opts.head);
    client.on('data', (chunk: Buffer) => monitor.write(chunk));
  } else client.on('data', () => undefined);
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
          if (!client.destroyed) client.end();
          resolve();
        });
    };
    // docker (container/stream/attach.go): when attached stdin ends, either the container's stdin
    // is closed (StdinOnce without TTY, which the monitor does on our half-close) or this
    // attach's output is closed too. A TTY client that detaches only closes its side, so without
    // the second rule the session would linger until the container next writes.
    const endsSession = opts.stdin && (opts.tty || opts.stdinOnce !== true);
    client.on('end', () => {
      if (endsSession) finish(false);
      else if (!monitor.destroyed) monitor.end();
    });
    monitor.on('end', () => finish(true));
    monitor.on('close', () => finish(true));
    monitor.on('error', () => finish(true));
    client.on('close', () => finish(false));
    client.on('error', () => finish(false));
    client.resume();
    // A process that ends at once (`exec … true`) may have had its output closed before we got
    // here: net sockets read from connect on, so that 'end' was already emitted, unseen.
    if (monitor.readableEnded || monitor.destroyed) finish(true);
  });
}
