/**
 * Faster ways to do what core does with node:fs and node:child_process, which berthd installs at
 * its start from the native addon (daemon.ts; drivers/host). Core stays below the drivers: it
 * declares what it can use, the daemon plugs it in. Unset (the CLI, tests, tools), core uses
 * Node's own, with the same results.
 */
import { rm } from 'node:fs/promises';
import { crypto } from './node-builtins.js';

export interface RunProgramOptions {
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The program gets a session of its own (setsid), as `detached` does in child_process. */
  setsid?: boolean;
  /** Killed (SIGKILL) when it runs longer; the result then says `timedOut`. */
  timeoutMs?: number;
}

export interface ProgramResult {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed at `timeoutMs`. */
  timedOut?: boolean;
}

/**
 * Runs a program to its end; rejects only when it cannot be started (ENOENT, EACCES), as
 * node:child_process's 'error' does.
 */
export type ProgramRunner = (file: string, args: readonly string[], opts?: RunProgramOptions) => Promise<ProgramResult>;

/**
 * Does all of atomicWriteFile's steps at once (the temp file, its directory when missing, the
 * write, the fsyncs, the rename), removing the temp file on failure. berthd installs the native
 * addon's (below): node:fs takes a round trip through the event loop for each step.
 */
export type AtomicFileWriter = (path: string, tmp: string, data: Buffer, mode: number, syncFile: boolean, syncDir: boolean) => Promise<void>;

/**
 * A SHA-256 fed batches of buffers, one update at a time and in order (the caller awaits each),
 * then `digest` (hex) once. The buffers must not change until their update is done.
 */
export interface BatchHasher {
  update(buffers: readonly Buffer[]): Promise<void> | void;
  digest(): string;
}

export interface NativeOps {
  /** Host programs started by posix_spawn rather than a fork of this process (run-command.ts). */
  runProgram?: ProgramRunner;
  /** A file's temp write, fsyncs and rename in one pool task (atomic-write.ts). */
  atomicWrite?: AtomicFileWriter;
  /** rm -rf in one pool task, no symlink followed, no mount entered (scratch-dir.ts). */
  removeTree?: (path: string) => Promise<void>;
  /** A SHA-256 hashed on the libuv pool, beside the writes of the same bytes (file-sink.ts). */
  sha256?: () => BatchHasher;
}

export const nativeOps: NativeOps = {};

export function installNativeOps(ops: NativeOps): void {
  Object.assign(nativeOps, ops);
}

/** Takes them out again (tests that compare both ways). */
export function uninstallNativeOps(): void {
  for (const k of Object.keys(nativeOps) as Array<keyof NativeOps>) delete nativeOps[k];
}

/**
 * rm -rf of `path`, a missing one being fine: berthd's native removal (one pool task, no mount
 * entered), else node:fs's (a round trip through the event loop per entry).
 */
export async function removeTree(path: string): Promise<void> {
  if (nativeOps.removeTree) await nativeOps.removeTree(path);
  else await rm(path, { recursive: true, force: true });
}

/** berthd's pool-hashing SHA-256, else node:crypto's on the calling thread. */
export function sha256Hasher(): BatchHasher {
  if (nativeOps.sha256) return nativeOps.sha256();
  const hash = crypto().createHash('sha256');
  return {
    update: (buffers) => {
      for (const b of buffers) hash.update(b);
    },
    digest: () => hash.digest('hex'),
  };
}
