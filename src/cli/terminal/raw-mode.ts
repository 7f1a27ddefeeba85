/**
 * Raw mode for a terminal stdin (docker's `SetRawTerminal`): keys reach the container one by
 * one, ctrl-c included. The terminal must be restored whatever happens, so the restore runs on
 * normal completion, on process exit, and on a terminating signal that nobody else handles.
 */

import { spawnSync } from 'node:child_process';

interface RawCapable {
  isTTY?: boolean;
  isRaw?: boolean;
  /** The terminal's file descriptor (tty.ReadStream has it). */
  fd?: number;
  setRawMode?(mode: boolean): unknown;
}

/**
 * libuv's raw mode leaves output post-processing (OPOST/ONLCR) on, so the "\r\n" a container's
 * TTY already sends would reach the terminal as "\r\r\n", and binary output would be altered.
 * docker's MakeRaw clears OPOST; Node has no termios call, so stty does it on the same terminal.
 * setRawMode(false) restores the termios libuv saved before raw mode, OPOST included.
 */
function clearOutputProcessing(fd: number | undefined): void {
  if (fd === undefined) return;
  spawnSync('stty', ['-opost'], { stdio: [fd, 'ignore', 'ignore'] });
}

const TERMINATING = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGINT'] as const;

/** Puts `stdin` in raw mode if it is a terminal; returns the (idempotent) restore function. */
export function enterRawMode(stdin: RawCapable): () => void {
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') return () => undefined;
  const wasRaw = stdin.isRaw === true;
  stdin.setRawMode(true);
  clearOutputProcessing(stdin.fd);
  let restored = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    // Another listener (the signal proxy) means the signal is being handled: leave it be.
    if (process.listenerCount(signal) > 1) return;
    restore();
    process.kill(process.pid, signal);
  };
  const restore = (): void => {
    if (restored) return;
    restored = true;
    process.removeListener('exit', restore);
    for (const s of TERMINATING) process.removeListener(s, onSignal);
    try {
      stdin.setRawMode?.(wasRaw);
    } catch {
      /* the terminal is gone (hang-up): nothing left to restore */
    }
  };
  process.once('exit', restore);
  for (const s of TERMINATING) process.on(s, onSignal);
  return restore;
}
