/**
 * Finding and running a CNI plugin binary (libcni's invoke.FindInPath and RawExec): the config on
 * stdin, the result on stdout; a binary being replaced ("text file busy") is tried again, as
 * libcni does while a network plugin installs itself.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The first regular file named `type` in the bin dirs, or undefined. */
export async function findPlugin(type: string, binDirs: readonly string[]): Promise<string | undefined> {
  if (type === '' || type.includes('/')) return undefined;
  for (const dir of binDirs) {
    const path = join(dir, type);
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) return path;
  }
  return undefined;
}

export interface PluginRun {
  code: number;
  /** Text for messages: `exit 1`, `signal SIGKILL`. */
  exit: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runOnce(path: string, stdin: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128,
        exit: signal ? `signal ${signal}` : `exit ${code}`,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    // A plugin that exits before reading its config must not fail us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** Runs a plugin; a spawn failure other than ETXTBSY (tried 5 times a second apart) is thrown. */
export async function execPlugin(path: string, stdin: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<PluginRun> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runOnce(path, stdin, env, timeoutMs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ETXTBSY' || attempt >= 5) throw err;
      await sleep(1000);
    }
  }
}
