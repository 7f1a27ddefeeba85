import { open } from 'node:fs/promises';
import { constants } from 'node:os';
import type { ContainerRecord, ExitExplanation } from './container-types.js';
import { isoTime } from '../../core/utc-time.js';

/** What berthd knows about an exit besides the monitor's record. */
export interface ExitCause {
  exitCode: number;
  signal: number | null;
  /** The user's stop or kill that preceded it, with the signal sent; reason `unhealthy` when the daemon's own, for --health-on-failure. */
  user?: { action: 'stop' | 'kill'; signal: string; reason?: string };
  /** The monitor was gone with no record: the host rebooted or the monitor was killed. */
  lost?: string;
}

function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : `signal ${n}`;
}

/** Why a container's run ended, in the words `inspect` shows (Berth's LastExit field). */
export function explainExit(r: ContainerRecord, cause: ExitCause, lastLogLines: string[]): ExitExplanation {
  const sig = cause.signal !== null ? signalName(cause.signal) : null;
  const base = { ExitCode: cause.exitCode, Signal: sig, OOMKilled: r.State.OOMKilled, FinishedAt: isoTime(), LastLogLines: lastLogLines };
  const health = r.State.Health?.Status === 'unhealthy' ? r.State.Health : undefined;
  const healthNote = health ? `; it was unhealthy (${health.FailingStreak} failed health checks, last output: ${JSON.stringify((health.Log.at(-1)?.Output ?? '').trim().slice(0, 200))})` : '';
  if (cause.lost) return { ...base, Reason: 'daemon-lost', Message: cause.lost };
  if (r.State.OOMKilled) return { ...base, Reason: 'oom', Message: `the kernel killed the container because it ran out of memory (limit ${r.HostConfig.Memory || 'none'} bytes)${healthNote}` };
  if (cause.user?.reason === 'unhealthy') {
    return { ...base, Reason: 'unhealthy', Message: `${cause.user.action === 'stop' ? 'stopped' : 'killed'} (${cause.user.signal}) for its --health-on-failure (label berth.health-on-failure)${healthNote}; exit code ${cause.exitCode}` };
  }
  if (cause.user?.action === 'stop') {
    const forced = sig === 'SIGKILL' && cause.user.signal !== 'SIGKILL' ? `; it did not stop within the timeout after ${cause.user.signal}, so it was killed` : '';
    return { ...base, Reason: 'stopped', Message: `stopped by the user (docker stop, ${cause.user.signal})${forced}; exit code ${cause.exitCode}` };
  }
  if (cause.user?.reason === 'removed') return { ...base, Reason: 'killed', Message: `killed (${cause.user.signal}) by a forced removal (docker rm -f)${healthNote}; exit code ${cause.exitCode}` };
  if (cause.user?.action === 'kill') return { ...base, Reason: 'killed', Message: `killed by the user (docker kill ${cause.user.signal}); exit code ${cause.exitCode}${healthNote}` };
  if (sig) return { ...base, Reason: 'signal', Message: `the main process was killed by ${sig} (exit code ${cause.exitCode})${healthNote}` };
  return { ...base, Reason: health ? 'unhealthy' : 'exited', Message: `the main process exited with code ${cause.exitCode}${healthNote}` };
}

/** The last lines of a json-file log (read from its last 64 KiB), without breaking on a torn entry. */
export async function lastLogLines(path: string, max = 10): Promise<string[]> {
  if (path === '') return [];
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const out: string[] = [];
    for (const line of buf.toString('utf8').split('\n').slice(size > len ? 1 : 0)) {
      try {
        const entry = JSON.parse(line) as { log?: unknown };
        if (typeof entry.log === 'string') out.push(entry.log.replace(/\n$/, '').slice(0, 1000));
      } catch {
        /* a partial entry */
      }
    }
    return out.slice(-max);
  } finally {
    await fh.close();
  }
}
