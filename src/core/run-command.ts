import { spawn } from 'node:child_process';
import { SystemError } from './errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs a host tool (mount, mknod, setfattr…) without a shell. Throws SystemError naming the
 * command and its stderr when it exits non-zero, unless `allowFailure` is set.
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  opts: { input?: string | Uint8Array; allowFailure?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new SystemError(`cannot run ${file}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      const res = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      };
      if (res.code !== 0 && !opts.allowFailure) {
        reject(new SystemError(`${file} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`));
      } else resolve(res);
    });
    // A tool that exits without reading its input (mount, mknod) must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
