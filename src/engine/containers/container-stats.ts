import { totalmem } from 'node:os';
import type { CgroupDriver } from '../../drivers/cgroups/cgroup-driver.js';
import { onlineCpuCount, readPseudoFile, systemCpuUsageNs, type BlkioEntry, type CgroupSample } from '../../drivers/cgroups/cgroup-stats.js';
import type { ContainerRecord } from './container-types.js';
import { isoTime } from '../../core/utc-time.js';
import { assertCan } from './container-state.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(s: CgroupSample | undefined, system: number, online: number): Record<string, unknown> {
  return {
    cpu_usage: {
      total_usage: s?.cpuUsageNs ?? 0,
      // v1 lists each CPU; v2 has no per-CPU counter and docker leaves the field out.
      ...(s && s.perCpuNs.length > 0 ? { percpu_usage: s.perCpuNs } : {}),
      usage_in_kernelmode: s?.cpuSystemNs ?? 0,
      usage_in_usermode: s?.cpuUserNs ?? 0,
    },
    ...(s ? { system_cpu_usage: system, online_cpus: online } : {}),
    throttling_data: {
      periods: s?.throttling.periods ?? 0,
      throttled_periods: s?.throttling.throttledPeriods ?? 0,
      throttled_time: s?.throttling.throttledTimeNs ?? 0,
    },
  };
}

/** docker lists blkio entries or null when there are none. */
const entries = (e: BlkioEntry[]): BlkioEntry[] | null => (e.length > 0 ? e : null);

/** Per-interface counters of the container's network namespace (/proc/<pid>/net/dev), loopback left out as docker does. */
async function networkStats(pid: number): Promise<Record<string, Record<string, number>> | undefined> {
  const text = readPseudoFile(`/proc/${pid}/net/dev`);
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface StatsSample {
  json: Record<string, unknown>;
  sample: CgroupSample;
  system: number;
  read: string;
}

/** One `GET /containers/{id}/stats` object in docker's shape. `pre` is the previous sample. */
export async function containerStats(r: ContainerRecord, driver: CgroupDriver, cgroupPath: string, pre?: StatsSample): Promise<StatsSample> {
  assertCan(r, 'stats');
  const [sample, system, networks] = await Promise.all([
    driver.sample(cgroupPath),
    systemCpuUsageNs(),
    r.HostConfig.NetworkMode === 'host' ? Promise.resolve(undefined) : networkStats(r.State.Pid),
  ]);
  const online = onlineCpuCount();
  const read = isoTime();
  // An unlimited cgroup has no limit of its own; docker shows the host's memory instead.
  const limit = sample.memoryLimit > 0 && sample.memoryLimit < totalmem() ? sample.memoryLimit : totalmem();
  const memory = driver.version === 1
    ? { usage: sample.memoryUsage, max_usage: sample.memoryMaxUsage, stats: sample.memoryStats, failcnt: sample.memoryFailcnt, limit }
    : { usage: sample.memoryUsage, stats: sample.memoryStats, limit };
  return {
    sample,
    system,
    read,
    json: {
      name: r.Name,
      id: r.Id,
      read,
      preread: pre?.read ?? ZERO_TIME,
      pids_stats: { current: sample.pids, ...(sample.pidsLimit > 0 ? { limit: sample.pidsLimit } : {}) },
      blkio_stats: {
        io_service_bytes_recursive: entries(sample.ioServiceBytes),
        io_serviced_recursive: entries(sample.ioServiced),
        io_queue_recursive: null,
        io_service_time_recursive: null,
        io_wait_time_recursive: null,
        io_merged_recursive: null,
        io_time_recursive: null,
        sectors_recursive: null,
      },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpuStats(sample, system, online),
      precpu_stats: pre ? cpuStats(pre.sample, pre.system, online) : cpuStats(undefined, 0, online),
      memory_stats: memory,
      ...(networks ? { networks } : {}),
    },
  };
}
