/** Helpers of the benches that measure daemon CPU and memory: a process tree's CPU time, a process's RSS, and many idle containers. */
import { readdir, readFile } from 'node:fs/promises';
import type { RunResult } from '../test/helpers/test-daemon.js';

const USER_HZ = 100;

/** CPU seconds used so far by `pid` and every descendant. */
export async function treeCpuSeconds(pid: number): Promise<number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(name), Number(fields[1]));
    ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  for (const [p, t] of ticks) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        total += t;
        break;
      }
    }
  }
  return total / USER_HZ;
}

/** A process's resident memory in KiB (0 once it is gone). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

export async function startMany(cli: (a: string[]) => Promise<RunResult>, image: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => cli(['run', '-d', '--network', 'none', image, 'sleep', '900'])));
    for (const r of batch) {
      if (r.code !== 0) throw new Error(`run -d failed: ${r.stderr}`);
      ids.push(r.stdout.trim());
    }
  }
  return ids;
}

