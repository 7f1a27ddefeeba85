/** Cgroup v1: one hierarchy per controller (`<root>/memory/<path>`, `<root>/cpu/<path>`…). */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CGROUP_ROOT, readKeyedFile, type CgroupDriver, type CgroupLimits } from './cgroup-driver.js';
import { readNumber, readPseudoFile, type BlkioEntry, type CgroupSample } from './cgroup-stats.js';
import { writeCgroupFile } from './cgroup-write.js';

/** v1 reports "unlimited" as the largest page-aligned int64. */
const V1_UNLIMITED = 0x7ffffffffffff000;

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** blkio.throttle.io_service_bytes lines: `8:0 Read 4096` and a final `Total N`. */
function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (!dev || !op || value === undefined) continue;
    const [major, minor] = dev.split(':').map(Number);
    out.push({ major: major ?? 0, minor: minor ?? 0, op, value: Number(value) });
  }
  return out;
}

export class CgroupV1Driver implements CgroupDriver {
  readonly version = 1 as const;

  constructor(private readonly root = CGROUP_ROOT) {}

  private dir(controller: string, path: string): string {
    return join(this.root, controller, path);
  }

  async update(path: string, l: CgroupLimits): Promise<void> {
    const mem = this.dir('memory', path);
    if (l.memory !== undefined || l.memorySwap !== undefined) await this.memoryAndSwap(mem, l.memory, l.memorySwap);
    if (l.memoryReservation !== undefined) await writeCgroupFile(join(mem, 'memory.soft_limit_in_bytes'), l.memoryReservation > 0 ? l.memoryReservation : -1);
    const cpu = this.dir('cpu', path);
    if (l.cpuShares !== undefined && l.cpuShares > 0) await writeCgroupFile(join(cpu, 'cpu.shares'), l.cpuShares);
    // The period goes first: a quota is checked against the period in place.
    if (l.cpuPeriod !== undefined && l.cpuPeriod > 0) await writeCgroupFile(join(cpu, 'cpu.cfs_period_us'), l.cpuPeriod);
    if (l.cpuQuota !== undefined) await writeCgroupFile(join(cpu, 'cpu.cfs_quota_us'), l.cpuQuota > 0 ? l.cpuQuota : -1);
    if (l.cpusetCpus) await writeCgroupFile(join(this.dir('cpuset', path), 'cpuset.cpus'), l.cpusetCpus);
    if (l.cpusetMems) await writeCgroupFile(join(this.dir('cpuset', path), 'cpuset.mems'), l.cpusetMems);
    if (l.pidsLimit !== undefined) await writeCgroupFile(join(this.dir('pids', path), 'pids.max'), l.pidsLimit > 0 ? l.pidsLimit : 'max');
    if (l.blkioWeight !== undefined && l.blkioWeight > 0) {
      const blkio = this.dir('blkio', path);
      const file = (await exists(join(blkio, 'blkio.weight'))) ? 'blkio.weight' : 'blkio.bfq.weight';
      await writeCgroupFile(join(blkio, file), l.blkioWeight);
    }
  }

  /**
   * The kernel keeps memory ≤ memory+swap at every step, so the order of the two writes
   * depends on whether the limits grow or shrink (as runc's setMemoryAndSwap does).
   */
  private async memoryAndSwap(dir: string, memory: number | undefined, swap: number | undefined): Promise<void> {
    const memFile = join(dir, 'memory.limit_in_bytes');
    const swapFile = join(dir, 'memory.memsw.limit_in_bytes');
    const hasSwap = await exists(swapFile);
    const m = memory === undefined || memory === 0 ? undefined : memory;
    let s = swap === undefined || swap === 0 || !hasSwap ? undefined : swap;
    if (m === -1 && s === undefined && hasSwap) s = -1;
    if (m !== undefined && s !== undefined) {
      const current = await readNumber(memFile);
      if (s === -1 || current < s) {
        await writeCgroupFile(swapFile, s);
        await writeCgroupFile(memFile, m);
      } else {
        await writeCgroupFile(memFile, m);
        await writeCgroupFile(swapFile, s);
      }
      return;
    }
    if (m !== undefined) await writeCgroupFile(memFile, m);
    if (s !== undefined) await writeCgroupFile(swapFile, s);
  }

  async memoryPeak(path: string): Promise<number> {
    return await readNumber(join(this.dir('memory', path), 'memory.max_usage_in_bytes'));
  }

  async oomKills(path: string): Promise<number> {
    return (await readKeyedFile(join(this.dir('memory', path), 'memory.oom_control'))).oom_kill ?? 0;
  }

  async sample(path: string): Promise<CgroupSample> {
    const acct = this.dir('cpuacct', path);
    const mem = this.dir('memory', path);
    const blkio = this.dir('blkio', path);
    const [usage, cpuStat, perCpu, throttle, memUsage, memMax, failcnt, limit, memStats, pids, pidsMax, bytes, ios] = await Promise.all([
      readNumber(join(acct, 'cpuacct.usage')),
      readKeyedFile(join(acct, 'cpuacct.stat')),
      readPseudoFile(join(acct, 'cpuacct.usage_percpu')),
      readKeyedFile(join(this.dir('cpu', path), 'cpu.stat')),
      readNumber(join(mem, 'memory.usage_in_bytes')),
      readNumber(join(mem, 'memory.max_usage_in_bytes')),
      readNumber(join(mem, 'memory.failcnt')),
      readNumber(join(mem, 'memory.limit_in_bytes')),
      readKeyedFile(join(mem, 'memory.stat')),
      readNumber(join(this.dir('pids', path), 'pids.current')),
      readNumber(join(this.dir('pids', path), 'pids.max')),
      readPseudoFile(join(blkio, 'blkio.throttle.io_service_bytes_recursive')),
      readPseudoFile(join(blkio, 'blkio.throttle.io_serviced_recursive')),
    ]);
    return {
      cpuUsageNs: usage,
      // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
      cpuUserNs: (cpuStat.user ?? 0) * 10_000_000,
      cpuSystemNs: (cpuStat.system ?? 0) * 10_000_000,
      perCpuNs: perCpu.trim() === '' ? [] : perCpu.trim().split(/\s+/).map(Number),
      throttling: { periods: throttle.nr_periods ?? 0, throttledPeriods: throttle.nr_throttled ?? 0, throttledTimeNs: throttle.throttled_time ?? 0 },
      memoryUsage: memUsage,
      memoryMaxUsage: memMax,
      memoryFailcnt: failcnt,
      memoryLimit: limit >= V1_UNLIMITED ? 0 : limit,
      memoryStats: memStats,
      pids,
      pidsLimit: pidsMax,
      ioServiceBytes: parseBlkio(bytes),
      ioServiced: parseBlkio(ios),
    };
  }
}
