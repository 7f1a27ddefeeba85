/**
 * Drives a hijacked attach/exec stream the way docker's hijackedIOStreamer does:
 *
 * - output: raw bytes to stdout (TTY) or demultiplexed frames to stdout/stderr, until the
 *   daemon closes its side;
 * - input: stdin copied to the socket, then a half-close (FIN) when stdin ends; without stdin the
 *   half-close happens at once, so the daemon knows no input will come;
 * - TTY with stdin: the terminal is put in raw mode (always restored) and the detach keys are
 *   watched; typing them closes the connection and leaves the container running.
 */
import type { Socket } from 'node:net';
import { copyRaw, demuxStream, type FrameSink } from '../../client/stdcopy.js';
import { DetachKeyFilter } from '../../core/detach-keys.js';
import { enterRawMode } from './raw-mode.js';

export interface SessionInput {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data' | 'end', listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isTTY?: boolean;
  isRaw?: boolean;
  fd?: number;
  setRawMode?(mode: boolean): unknown;
}

export interface SessionOptions {
  socket: Socket;
  tty: boolean;
  /** Set when stdin is attached. */
  stdin?: SessionInput | undefined;
  stdout: FrameSink;
  stderr: FrameSink;
  /** Watched only in TTY mode, as docker does; in other modes the daemon watches for them. */
  detachKeys: Buffer;
}

/** 'closed': the daemon ended the stream; 'detached': the user typed the detach keys. */
export type SessionEnd = 'closed' | 'detached';

export interface Session {
  readonly done: Promise<SessionEnd>;
  /** Tears the stream down (start failed, or the CLI gives up); `done` then settles. */
  abort(): void;
}

export function startSession(opts: SessionOptions): Session {
  const { socket, stdin } = opts;
  const restoreTerminal = opts.tty && stdin ? enterRawMode(stdin) : () => undefined;
  // A late EPIPE/ECONNRESET after we are done must not crash the CLI.
  socket.on('error', () => undefined);

  let settle: (end: SessionEnd) => void = () => undefined;
  let fail: (err: unknown) => void = () => undefined;
  let finished = false;
  const done = new Promise<SessionEnd>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });

  const onData = (chunk: Buffer | string): void => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (filter) {
      const r = filter.feed(data);
      data = r.forward;
      if (r.detached) {
        if (data.length > 0) socket.write(data);
        finish();
        socket.destroy();
        settle('detached');
        return;
      }
    }
    if (data.length > 0 && !socket.write(data)) {
      stdin?.pause();
      socket.once('drain', () => {
        if (!finished) stdin?.resume();
      });
    }
  };
  const onEnd = (): void => {
    if (filter) {
      const held = filter.flush();
      if (held.length > 0) socket.write(held);
    }
    socket.end();
  };
  const filter = opts.tty && stdin ? new DetachKeyFilter(opts.detachKeys) : undefined;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (stdin) {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
    }
    restoreTerminal();
  };

  if (stdin) {
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  } else socket.end();

  const output = opts.tty ? copyRaw(socket, opts.stdout) : demuxStream(socket, opts.stdout, opts.stderr);
  output.then(
    () => {
      finish();
      settle('closed');
    },
    (err: unknown) => {
      const wasFinished = finished;
      finish();
      // After a detach or abort the socket was destroyed on purpose; that is no error.
      if (wasFinished) settle('closed');
      else fail(err);
    },
  );

  return {
    done,
    abort: () => {
      finish();
      socket.destroy();
    },
  };
}
