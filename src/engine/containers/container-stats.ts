import { cpus, totalmem } from 'node:os';
import { ConflictError } from '../../core/errors.js';
import { readCgroupSample, systemCpuUsageNs, type CgroupSample } from '../../drivers/cgroups/cgroup-stats.js';
import { vethStats, type InterfaceStats } from '../../drivers/network/link-stats.js';
import type { ContainerRecord } from './container-types.js';

function cpuStats(s: CgroupSample | undefined, system: number, online: number): Record<string, unknown> {
  return {
    cpu_usage: { total_usage: s?.cpuUsageNs ?? 0, usage_in_kernelmode: s?.cpuSystemNs ?? 0, usage_in_usermode: s?.cpuUserNs ?? 0 },
    system_cpu_usage: system,
    online_cpus: online,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

export interface StatsSample {
  json: Record<string, unknown>;
  sample: CgroupSample;
  system: number;
  read: string;
}

/** One `GET /containers/{id}/stats` object in docker's shape. `pre` is the previous sample. */
export async function containerStats(r: ContainerRecord, cgroupPath: string, v2: boolean, pre?: StatsSample): Promise<StatsSample> {
  if (!r.State.Running) throw new ConflictError(`container ${r.Id} is not running`);
  const sample = await readCgroupSample(cgroupPath, v2);
  const system = await systemCpuUsageNs();
  const online = cpus().length;
  const read = new Date().toISOString();
  const networks: Record<string, InterfaceStats> = {};
  for (const itf of Object.values(r.NetworkSettings?.Interfaces ?? {})) networks[itf.Name] = await vethStats(itf.HostVeth);
  // An unlimited v1 cgroup reports a huge number; docker shows the host's memory instead.
  const limit = sample.memoryLimit > 0 && sample.memoryLimit < totalmem() ? sample.memoryLimit : totalmem();
  return {
    sample,
    system,
    read,
    json: {
      name: r.Name,
      id: r.Id,
      read,
      preread: pre?.read ?? '0001-01-01T00:00:00Z',
      pids_stats: { current: sample.pids, ...(sample.pidsLimit > 0 ? { limit: sample.pidsLimit } : {}) },
      blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpuStats(sample, system, online),
      precpu_stats: pre ? cpuStats(pre.sample, pre.system, online) : cpuStats(undefined, 0, online),
      memory_stats: { usage: sample.memoryUsage, stats: sample.memoryStats, limit },
      // Bridge endpoints only, as docker: host and none networking report no networks.
      ...(Object.keys(networks).length > 0 ? { networks } : {}),
    },
  };
}
