import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One block-device counter as docker's blkio_stats lists it. */
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** A container's resource use, read from its cgroup files in one pass. */
export interface CgroupSample {
  cpuUsageNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  /** Per-CPU usage (v1 cpuacct.usage_percpu); empty on v2, which has none. */
  perCpuNs: number[];
  throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
  memoryUsage: number;
  memoryMaxUsage: number;
  memoryFailcnt: number;
  /** 0 when unlimited. */
  memoryLimit: number;
  memoryStats: Record<string, number>;
  pids: number;
  /** 0 when unlimited. */
  pidsLimit: number;
  ioServiceBytes: BlkioEntry[];
  ioServiced: BlkioEntry[];
}

/** A number file; `max` (v2's unlimited), empty or missing read as 0. */
/**
 * A cgroupfs or procfs file's text, '' when it is missing. These files are made in memory by the
 * kernel and never wait on a disk, so a synchronous read costs microseconds, where the promise
 * API costs four thread-pool round trips per file: the difference is most of what streaming
 * stats for a hundred containers costs the daemon.
 */
export function readPseudoFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export async function readNumber(path: string): Promise<number> {
  const text = readPseudoFile(path).trim();
  if (text === '' || text === 'max') return 0;
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

/** Host CPU time in nanoseconds, as docker's system_cpu_usage (from /proc/stat, USER_HZ ticks). */
export async function systemCpuUsageNs(): Promise<number> {
  const line = readPseudoFile('/proc/stat').split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return ticks * 10_000_000;
}

let cpuCount: { n: number; at: number } | undefined;

/**
 * The host's online CPUs (docker's `online_cpus`), read at most every 10 s: os.cpus() parses
 * /proc/cpuinfo and /proc/stat for every CPU's model and times, and streaming the stats of a
 * hundred containers asked it a hundred times a second (1 % of a core by itself).
 */
export function onlineCpuCount(): number {
  const now = Date.now();
  if (!cpuCount || now - cpuCount.at > 10_000) cpuCount = { n: cpus().length, at: now };
  return cpuCount.n;
}
