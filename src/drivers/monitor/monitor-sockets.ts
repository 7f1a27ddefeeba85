import { open } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { ConflictError, errnoCode, errorMessage, InvalidParameterError, SystemError } from '../../core/errors.js';
import { ATTACH_SOCKET, CONTROL_SOCKET } from './monitor-protocol.js';

/** sun_path holds 108 bytes including the terminating NUL. */
const SUN_PATH_MAX = 107;
const CONTROL_TIMEOUT_MS = 5000;

/**
 * Runs fn with a connectable path for stateDir/name. A path too long for a unix socket address
 * is reached through an open fd of the directory, as the monitor itself binds it.
 */
async function withSocketPath<T>(stateDir: string, name: string, fn: (path: string) => Promise<T>): Promise<T> {
  const direct = join(stateDir, name);
  if (Buffer.byteLength(direct) <= SUN_PATH_MAX) return await fn(direct);
  const dir = await open(stateDir, 'r');
  try {
    return await fn(`/proc/self/fd/${dir.fd}/${name}`);
  } finally {
    await dir.close();
  }
}

function connectError(err: unknown, stateDir: string, name: string): Error {
  const code = errnoCode(err);
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new ConflictError(`the monitor of ${stateDir} is not running (no ${name})`, { cause: err });
  }
  return new SystemError(`cannot connect to ${join(stateDir, name)}: ${errorMessage(err)}`, { cause: err });
}

async function connect(stateDir: string, name: string): Promise<Socket> {
  return await withSocketPath(stateDir, name, (path) => new Promise<Socket>((resolve, reject) => {
    const socket = createConnection({ path, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => reject(connectError(err, stateDir, name)));
  }));
}

/**
 * Connects to the attach socket. The socket carries the container's output from now on (raw with
 * a tty, else docker's multiplexed frames) and takes stdin. It is half-open capable: `end()` ends
 * stdin (with --stdin-once this closes the container's stdin) while output keeps arriving. A
 * client that carries no stdin should `destroy()` rather than `end()` when it leaves. The monitor
 * closes the socket once the process exited and its output was sent; the socket then ends its own
 * side too, so 'close' follows.
 */
export async function connectAttach(stateDir: string): Promise<Socket> {
  const socket = await connect(stateDir, ATTACH_SOCKET);
  // The monitor ends the stream when the process is gone: nothing more can be written.
  socket.once('end', () => socket.end());
  return socket;
}

/** Sends one control command (`resize ROWS COLS`, `close-stdin`) and waits for its answer. */
export async function sendControl(stateDir: string, line: string): Promise<void> {
  const command = line.replace(/\n$/, '');
  if (command.includes('\n') || command === '') throw new InvalidParameterError(`invalid monitor control command ${JSON.stringify(line)}`);
  const socket = await connect(stateDir, CONTROL_SOCKET);
  try {
    const answer = await readAnswer(socket, command, stateDir);
    if (answer !== 'ok') {
      throw new SystemError(`monitor control command "${command}" failed: ${answer.replace(/^error /, '')}`);
    }
  } finally {
    socket.destroy();
  }
}

/** A monitor that hangs up instead of answering is exiting with its container: not running. */
function hangUpError(stateDir: string, command: string, cause?: unknown): Error {
  return new ConflictError(`the monitor of ${stateDir} ended before answering "${command}": its process has exited`, cause ? { cause } : undefined);
}

async function readAnswer(socket: Socket, command: string, stateDir: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new SystemError(`monitor control command "${command}" got no answer`)), CONTROL_TIMEOUT_MS);
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      fn();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) done(() => resolve(text.slice(0, nl)));
    });
    socket.once('end', () => done(() => reject(hangUpError(stateDir, command))));
    socket.once('error', (err) => done(() => {
      const code = errnoCode(err);
      reject(code === 'ECONNRESET' || code === 'EPIPE' ? hangUpError(stateDir, command, err) : new SystemError(`monitor control command "${command}" failed: ${err.message}`, { cause: err }));
    }));
    socket.write(`${command}\n`);
  });
}
