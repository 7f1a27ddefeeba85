import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupSample {
  cpuUsageNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryStats: Record<string, number>;
  pids: number;
  pidsLimit: number;
}

async function readNumber(path: string): Promise<number> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (text === '' || text === 'max') return 0;
  return Number(text);
}

async function readKeyed(path: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await readFile(path, 'utf8').catch(() => '')).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/**
 * Reads a container's resource use straight from its cgroup files (cheap enough to poll many
 * containers): v1 controller hierarchies (also on hybrid hosts) or the v2 unified tree.
 */
export async function readCgroupSample(cgroupPath: string, v2: boolean, root = '/sys/fs/cgroup'): Promise<CgroupSample> {
  if (v2) {
    const dir = join(root, cgroupPath);
    const cpu = await readKeyed(join(dir, 'cpu.stat'));
    const memStats = await readKeyed(join(dir, 'memory.stat'));
    return {
      cpuUsageNs: (cpu.usage_usec ?? 0) * 1000,
      cpuUserNs: (cpu.user_usec ?? 0) * 1000,
      cpuSystemNs: (cpu.system_usec ?? 0) * 1000,
      memoryUsage: await readNumber(join(dir, 'memory.current')),
      memoryLimit: await readNumber(join(dir, 'memory.max')),
      memoryStats: memStats,
      pids: await readNumber(join(dir, 'pids.current')),
      pidsLimit: await readNumber(join(dir, 'pids.max')),
    };
  }
  const acct = join(root, 'cpuacct', cgroupPath);
  const mem = join(root, 'memory', cgroupPath);
  const cpuStat = await readKeyed(join(acct, 'cpuacct.stat'));
  // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
  return {
    cpuUsageNs: await readNumber(join(acct, 'cpuacct.usage')),
    cpuUserNs: (cpuStat.user ?? 0) * 10_000_000,
    cpuSystemNs: (cpuStat.system ?? 0) * 10_000_000,
    memoryUsage: await readNumber(join(mem, 'memory.usage_in_bytes')),
    memoryLimit: await readNumber(join(mem, 'memory.limit_in_bytes')),
    memoryStats: await readKeyed(join(mem, 'memory.stat')),
    pids: await readNumber(join(root, 'pids', cgroupPath, 'pids.current')),
    pidsLimit: await readNumber(join(root, 'pids', cgroupPath, 'pids.max')),
  };
}

/** Host CPU time in nanoseconds, as docker's system_cpu_usage (from /proc/stat, USER_HZ ticks). */
export async function systemCpuUsageNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return ticks * 10_000_000;
}
