import { spawn } from 'node:child_process';
import { SystemError } from './errors.js';
import { nativeOps, type ProgramResult, type ProgramRunner } from './native-ops.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export type { ProgramResult, ProgramRunner, RunProgramOptions } from './native-ops.js';

/** node:child_process, which forks this process to start each program. */
export const nodeProgramRunner: ProgramRunner = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.setsid ? { detached: true } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal, ...(timedOut ? { timedOut } : {}) });
    });
    // A tool that exits without reading its input (mount, mknod) must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });


/**
 * Runs a host tool (mount, mknod, setfattr…) without a shell. Throws SystemError naming the
 * command and its stderr when it exits non-zero, unless `allowFailure` is set.
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  opts: { input?: string | Uint8Array; allowFailure?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  let r: ProgramResult;
  try {
    // berthd's posix_spawn (native-ops.ts), else node:child_process.
    r = await (nativeOps.runProgram ?? nodeProgramRunner)(file, args, opts);
  } catch (e) {
    throw new SystemError(`cannot run ${file}: ${(e as Error).message}`, { cause: e });
  }
  const res = { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), code: r.code ?? (r.signal ? 128 : 1) };
  if (res.code !== 0 && !opts.allowFailure) {
    throw new SystemError(`${file} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}
