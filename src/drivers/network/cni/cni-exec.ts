/**
 * Finding and running a CNI plugin binary (libcni's invoke.FindInPath and RawExec): the config on
 * stdin, the result on stdout; a binary being replaced ("text file busy") is tried again, as
 * libcni does while a network plugin installs itself.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProgram } from '../../host/host-spawn.js';

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

async function runOnce(path: string, stdin: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<PluginRun> {
  const r = await runProgram(path, [], { input: stdin, env, timeoutMs });
  return {
    code: r.code ?? 128,
    exit: r.signal ? `signal ${r.signal}` : `exit ${r.code}`,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    timedOut: r.timedOut === true,
  };
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
