/**
 * Runs a host program to its end with its output captured, started by posix_spawn rather than
 * Node's fork (native/berth-host/spawn.c says why: 4-5 ms of berthd's main thread per program,
 * 0.2-0.3 ms this way). Where the native way is not available (no addon, no pidfd), or for what
 * it does not do (a working directory), Node's child_process runs it, with the same result.
 */
import { accessSync, closeSync, constants as fsConstants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ProgramResult, ProgramRunner, RunProgramOptions } from '../../core/native-ops.js';
import { nodeProgramRunner } from '../../core/run-command.js';
import { hostAddon } from './host-addon.js';

let fastSpawn: boolean | undefined;

/** Whether this process can start programs natively: the addon loads and the kernel has pidfds (5.3). */
function canSpawnFast(): boolean {
  if (fastSpawn === undefined) {
    try {
      fastSpawn = hostAddon().pidfdWorks();
    } catch {
      fastSpawn = false;
    }
  }
  return fastSpawn;
}

const found = new Map<string, string | undefined>();
const foundKey = (file: string, path: string | undefined): string => `${path ?? ''}\0${file}`;

/** `file` on PATH as execvp would find it (cached: berthd runs the same few programs all day). */
function onPath(file: string, path: string | undefined): string | undefined {
  if (file.includes('/')) return file;
  const key = foundKey(file, path);
  if (found.has(key)) return found.get(key);
  let hit: string | undefined;
  for (const dir of (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir || '.', file);
    try {
      accessSync(candidate, fsConstants.X_OK);
      hit = candidate;
      break;
    } catch {
      // not here
    }
  }
  // Only hits are kept: a program installed later (apt-get install nftables) is found then.
  if (hit) found.set(key, hit);
  return hit;
}

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function notFound(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', errno: -2, syscall: `spawn ${file}`, path: file });
}

/** Reads a pipe's end to its EOF. */
function drain(fd: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = new Socket({ fd, readable: true, writable: false });
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function runNatively(file: string, args: readonly string[], opts: RunProgramOptions): Promise<ProgramResult> {
  const env = opts.env ?? process.env;
  const path = onPath(file, env.PATH);
  if (!path) return Promise.reject(notFound(file));
  const addon = hostAddon();
  const opened: number[] = [];
  const open = (fd: number): number => (opened.push(fd), fd);
  try {
    const input = opts.input !== undefined && opts.input.length > 0 ? opts.input : undefined;
    const hasInput = input !== undefined;
    const [inRead, inWrite] = hasInput ? addon.pipe().map(open) : [open(openSync('/dev/null', 'r')), -1];
    const [outRead, outWrite] = addon.pipe().map(open);
    const [errRead, errWrite] = addon.pipe().map(open);
    const envList = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const child = addon.spawn(path, [file, ...args], envList, [inRead as number, outWrite as number, errWrite as number], opts.setsid === true);
    // The child has its copies: ours of its ends go, so its exit is our EOF.
    for (const fd of [inRead, outWrite, errWrite]) closeSync(fd as number);
    opened.length = 0;
    if (input !== undefined) {
      const w = new Socket({ fd: inWrite as number, readable: false, writable: true });
      // A program that exits without reading its input must not fail us with EPIPE.
      w.on('error', () => undefined);
      w.end(input);
    }
    let timedOut = false;
    // Until watchExit reaps it, the child's pid cannot be another process's: the kill is safe.
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            process.kill(child.pid, 'SIGKILL');
          }, opts.timeoutMs);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut?: boolean }>((resolve) => {
      addon.watchExit(child.pidfd, (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal: signal === null ? null : (signalNames.get(signal) ?? 'SIGKILL'), ...(timedOut ? { timedOut } : {}) });
      });
    });
    return Promise.all([drain(outRead as number), drain(errRead as number), exited]).then(([stdout, stderr, status]) => ({ stdout, stderr, ...status }));
  } catch (err) {
    for (const fd of opened) closeSync(fd);
    // A program removed since it was found is looked up again next time.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') found.delete(foundKey(file, env.PATH));
    return Promise.reject(err as Error);
  }
}

/**
 * Runs `file` with `args` to its end. Rejects only when it cannot be started (ENOENT, EACCES,
 * as node:child_process's 'error'); a non-zero exit is the result's `code`.
 */
export const runProgram: ProgramRunner = (file, args, opts = {}) => {
  if (opts.cwd !== undefined || !canSpawnFast()) return nodeProgramRunner(file, args, opts);
  // An executable script without `#!` (a CNI plugin or hook some user wrote): execvp, which
  // child_process uses, runs it with /bin/sh; glibc's posix_spawn refuses it (ENOEXEC).
  return runNatively(file, args, opts).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOEXEC') return nodeProgramRunner(file, args, opts);
    throw err;
  });
};
