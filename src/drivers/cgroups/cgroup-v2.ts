/** Cgroup v2: one unified tree (`<root>/<path>/memory.max`, `cpu.max`…). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CGROUP_ROOT, readKeyedFile, type CgroupDriver, type CgroupLimits } from './cgroup-driver.js';
import { readNumber, readPseudoFile, type BlkioEntry, type CgroupSample } from './cgroup-stats.js';
import { writeCgroupFile } from './cgroup-write.js';

/** The default CFS period (100 ms) cpu.max needs when only a quota is given. */
const DEFAULT_PERIOD = 100_000;

/** CPU shares (2–262144) to cpu.weight (1–10000), runc's ConvertCPUSharesToCgroupV2Value. */
export function sharesToWeight(shares: number): number {
  return shares <= 0 ? 0 : 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

/** Blkio weight (10–1000) to io.weight (1–10000), runc's ConvertBlkIOToIOWeightValue. */
export function blkioToIoWeight(weight: number): number {
  return weight <= 0 ? 0 : 1 + Math.trunc(((weight - 10) * 9999) / 990);
}

/** io.stat lines: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`. */
function parseIoStat(text: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    if (!dev?.includes(':')) continue;
    const [major = 0, minor = 0] = dev.split(':').map(Number);
    const kv = Object.fromEntries(fields.map((f) => f.split('=') as [string, string]));
    bytes.push({ major, minor, op: 'read', value: Number(kv.rbytes ?? 0) }, { major, minor, op: 'write', value: Number(kv.wbytes ?? 0) });
    ios.push({ major, minor, op: 'read', value: Number(kv.rios ?? 0) }, { major, minor, op: 'write', value: Number(kv.wios ?? 0) });
  }
  return { bytes, ios };
}

export class CgroupV2Driver implements CgroupDriver {
  readonly version = 2 as const;

  constructor(private readonly root = CGROUP_ROOT) {}

  async update(path: string, l: CgroupLimits): Promise<void> {
    const dir = join(this.root, path);
    const file = (name: string): string => join(dir, name);
    if (l.memory !== undefined && l.memory !== 0) await writeCgroupFile(file('memory.max'), l.memory > 0 ? l.memory : 'max');
    // docker's MemorySwap counts memory plus swap; v2 limits the swap alone.
    if (l.memorySwap !== undefined && l.memorySwap !== 0) {
      const memory = l.memory && l.memory > 0 ? l.memory : await readNumber(file('memory.max'));
      const swap = l.memorySwap < 0 ? 'max' : Math.max(0, l.memorySwap - memory);
      await writeCgroupFile(file('memory.swap.max'), swap);
    }
    if (l.memoryReservation !== undefined) await writeCgroupFile(file('memory.low'), l.memoryReservation > 0 ? l.memoryReservation : 0);
    if (l.cpuShares !== undefined && l.cpuShares > 0) await writeCgroupFile(file('cpu.weight'), sharesToWeight(l.cpuShares));
    if (l.cpuQuota !== undefined || l.cpuPeriod !== undefined) {
      const [curQuota = 'max', curPeriod = String(DEFAULT_PERIOD)] = (await readFile(file('cpu.max'), 'utf8').catch(() => '')).trim().split(/\s+/);
      const quota = l.cpuQuota === undefined ? curQuota : l.cpuQuota > 0 ? String(l.cpuQuota) : 'max';
      const period = l.cpuPeriod && l.cpuPeriod > 0 ? String(l.cpuPeriod) : curPeriod;
      await writeCgroupFile(file('cpu.max'), `${quota} ${period}`);
    }
    if (l.cpusetCpus) await writeCgroupFile(file('cpuset.cpus'), l.cpusetCpus);
    if (l.cpusetMems) await writeCgroupFile(file('cpuset.mems'), l.cpusetMems);
    if (l.pidsLimit !== undefined) await writeCgroupFile(file('pids.max'), l.pidsLimit > 0 ? l.pidsLimit : 'max');
    if (l.blkioWeight !== undefined && l.blkioWeight > 0) await writeCgroupFile(file('io.weight'), `default ${blkioToIoWeight(l.blkioWeight)}`);
  }

  /** memory.peak exists from Linux 5.19; older kernels keep no peak, which reads as 0. */
  async memoryPeak(path: string): Promise<number> {
    return await readNumber(join(this.root, path, 'memory.peak'));
  }

  async oomKills(path: string): Promise<number> {
    return (await readKeyedFile(join(this.root, path, 'memory.events'))).oom_kill ?? 0;
  }

  async sample(path: string): Promise<CgroupSample> {
    const dir = join(this.root, path);
    const [cpu, memStats, events, usage, peak, limit, pids, pidsMax, io] = await Promise.all([
      readKeyedFile(join(dir, 'cpu.stat')),
      readKeyedFile(join(dir, 'memory.stat')),
      readKeyedFile(join(dir, 'memory.events')),
      readNumber(join(dir, 'memory.current')),
      readNumber(join(dir, 'memory.peak')),
      readNumber(join(dir, 'memory.max')),
      readNumber(join(dir, 'pids.current')),
      readNumber(join(dir, 'pids.max')),
      readPseudoFile(join(dir, 'io.stat')),
    ]);
    const { bytes, ios } = parseIoStat(io);
    return {
      cpuUsageNs: (cpu.usage_usec ?? 0) * 1000,
      cpuUserNs: (cpu.user_usec ?? 0) * 1000,
      cpuSystemNs: (cpu.system_usec ?? 0) * 1000,
      perCpuNs: [],
      throttling: { periods: cpu.nr_periods ?? 0, throttledPeriods: cpu.nr_throttled ?? 0, throttledTimeNs: (cpu.throttled_usec ?? 0) * 1000 },
      memoryUsage: usage,
      memoryMaxUsage: peak,
      memoryFailcnt: events.max ?? 0,
      memoryLimit: limit,
      memoryStats: memStats,
      pids,
      pidsLimit: pidsMax,
      ioServiceBytes: bytes,
      ioServiced: ios,
    };
  }
}
