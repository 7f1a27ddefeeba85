/**
 * The daemon-side checks of a container's resource settings, as moby's
 * verifyPlatformContainerResources does them (same messages): values the host cannot apply
 * are discarded with docker's warning, values that cannot work are refused before anything
 * is created. Runs on create (full HostConfig) and on update (the changed fields only).
 */
import { InvalidParameterError } from '../../../core/errors.js';
import type { CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';

/** docker's linuxMinMemory: 6 MiB. */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** The resource fields of HostConfig (docker's container.Resources) this module reads and fixes. */
export interface ResourceFields {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  MemorySwappiness?: number | null;
  KernelMemory?: number;
  OomKillDisable?: boolean | null;
  PidsLimit?: number | null;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuPercent?: number;
  CpuCount?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: unknown[] | null;
  BlkioDeviceReadBps?: unknown[] | null;
  BlkioDeviceWriteBps?: unknown[] | null;
  BlkioDeviceReadIOps?: unknown[] | null;
  BlkioDeviceWriteIOps?: unknown[] | null;
  IOMaximumBandwidth?: number;
  IOMaximumIOps?: number;
  [key: string]: unknown;
}

const NUMERIC = [
  'Memory', 'MemorySwap', 'MemoryReservation', 'KernelMemory', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpuPercent',
  'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'BlkioWeight', 'IOMaximumBandwidth', 'IOMaximumIOps', 'ShmSize', 'OomScoreAdj',
] as const;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Parses a cpuset list ("0-2,4") into its members, as moby's parsers.ParseUintList. */
export function parseCpuList(value: string): Set<number> {
  const out = new Set<number>();
  if (value === '') return out;
  for (const part of value.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${value}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid format: ${value}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkCpuset(requested: string | undefined, available: string, what: 'cpus' | 'mems'): void {
  if (!requested) return;
  let want: Set<number>;
  try {
    want = parseCpuList(requested);
  } catch (err) {
    throw new InvalidParameterError(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  const have = parseCpuList(available);
  for (const n of want) {
    if (!have.has(n)) {
      const label = what === 'cpus' ? 'CPUs' : 'memory nodes';
      throw new InvalidParameterError(`Requested ${label} are not available - requested ${requested}, available: ${available}`);
    }
  }
}

/** What a container without a cgroup of its own cannot be limited by, with the flag that sets it. */
const UNDELEGATED: Array<[keyof ResourceFields, string, unknown]> = [
  ['Memory', '--memory', 0], ['MemorySwap', '--memory-swap', 0], ['MemoryReservation', '--memory-reservation', 0],
  ['MemorySwappiness', '--memory-swappiness', null], ['OomKillDisable', '--oom-kill-disable', null], ['PidsLimit', '--pids-limit', null],
  ['NanoCpus', '--cpus', 0], ['CpuShares', '--cpu-shares', 0], ['CpuPeriod', '--cpu-period', 0], ['CpuQuota', '--cpu-quota', 0],
  ['CpusetCpus', '--cpuset-cpus', ''], ['CpusetMems', '--cpuset-mems', ''], ['BlkioWeight', '--blkio-weight', 0],
];

/**
 * A rootless daemon on a host that delegates it no cgroup (cgroup v1, or v2 without
 * delegation) can limit nothing: as Podman, one warning naming every limit given, and the
 * fields reset so that inspect shows they are not applied — never a silent pretence.
 */
function discardUndelegated(r: ResourceFields): string[] {
  const dropped: string[] = [];
  for (const [key, flag, none] of UNDELEGATED) {
    const v = r[key];
    const set = typeof v === 'number' ? v > 0 : typeof v === 'string' ? v !== '' : v === true;
    if (set) dropped.push(flag);
    if (v !== undefined && v !== null) r[key] = none;
  }
  if ((r.PidsLimit ?? 0) === 0) r.PidsLimit = null;
  return dropped.length === 0 ? [] : [`Rootless berthd has no cgroup delegation on this host (cgroup v1, or v2 without a delegated subtree): ${dropped.join(', ')} not applied. Resource limits need cgroup v2 with systemd delegation, or a root berthd.`];
}

/** Each number field must be an integer (the API takes int64s). */
function checkNumbers(r: ResourceFields): void {
  for (const key of NUMERIC) {
    const v = r[key];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v))) {
      throw new InvalidParameterError(`HostConfig.${key} must be an integer, not ${JSON.stringify(v)}`);
    }
  }
}

/**
 * Checks and fixes `r` in place; returns docker's warnings. `update` is true for
 * `docker update`, which may change MemorySwap alone.
 */
export function checkResources(r: ResourceFields, host: CgroupSupport, update = false): string[] {
  checkNumbers(r);
  const memory = r.Memory ?? 0;
  // A value no engine would take is refused even where it would be discarded.
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  if (host.undelegated) return discardUndelegated(r);
  const warnings: string[] = [];
  if (r.MemorySwappiness === -1) r.MemorySwappiness = null;
  if (memory > 0 && !host.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  const swap = r.MemorySwap ?? 0;
  if ((r.Memory ?? 0) > 0 && swap !== -1 && swap !== 0 && !host.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  if ((r.Memory ?? 0) > 0 && (r.MemorySwap ?? 0) > 0 && (r.MemorySwap ?? 0) < (r.Memory ?? 0)) {
    throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if ((r.Memory ?? 0) === 0 && (r.MemorySwap ?? 0) > 0 && !update) {
    throw new InvalidParameterError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null) {
    if (!host.memorySwappiness) {
      warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
      r.MemorySwappiness = null;
    } else if (r.MemorySwappiness < 0 || r.MemorySwappiness > 100) {
      throw new InvalidParameterError(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
    }
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && !host.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  if ((r.MemoryReservation ?? 0) > 0 && (r.MemoryReservation ?? 0) < MIN_MEMORY) throw new InvalidParameterError('Minimum memory reservation allowed is 6MB');
  if ((r.Memory ?? 0) > 0 && (r.MemoryReservation ?? 0) > 0 && (r.Memory ?? 0) < (r.MemoryReservation ?? 0)) {
    throw new InvalidParameterError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if ((r.KernelMemory ?? 0) !== 0) {
    // API 1.42 removed the field and docker ignores it; say so rather than drop it silently.
    warnings.push('Kernel memory limits are not supported (the kernel deprecated them; docker ignores --kernel-memory since API 1.42). Limitation discarded.');
  }
  delete r.KernelMemory;
  delete r.KernelMemoryTCP;
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null && !host.oomKillDisable) {
    if (r.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = false;
  }
  if (r.OomKillDisable === true && (r.Memory ?? 0) === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !host.pidsLimit) {
    if (r.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    r.PidsLimit = null;
  }

  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !host.cpuCfs) throw new InvalidParameterError('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  if (nano < 0 || nano > host.ncpu * 1e9) {
    throw new InvalidParameterError(`Range of CPUs is from 0.01 to ${host.ncpu}.00, as there are only ${host.ncpu} CPUs available`);
  }
  if ((r.CpuShares ?? 0) > 0 && !host.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !host.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidParameterError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if ((r.CpuQuota ?? 0) > 0 && (r.CpuQuota ?? 0) < 1000) throw new InvalidParameterError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const rtPeriod = num(r.CpuRealtimePeriod);
  const rtRuntime = num(r.CpuRealtimeRuntime);
  if ((rtPeriod > 0 || rtRuntime > 0) && !host.cpuRealtime) throw new InvalidParameterError('Your kernel does not support CPU real-time scheduler');
  if (rtPeriod !== 0 && rtRuntime !== 0 && rtRuntime > rtPeriod) throw new InvalidParameterError('cpu-rt-runtime cannot be higher than cpu-rt-period');
  // dockerd keeps a CPU count on Linux and does nothing with it (a Windows setting); say so.
  if ((r.CpuCount ?? 0) > 0) warnings.push('linux does not support CPU count. Count ignored.');
  if ((r.CpuPercent ?? 0) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    r.CpuPercent = 0;
  }

  if ((r.CpusetCpus || r.CpusetMems) && !host.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  checkCpuset(r.CpusetCpus, host.cpus, 'cpus');
  checkCpuset(r.CpusetMems, host.mems, 'mems');

  if ((r.BlkioWeight ?? 0) > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new InvalidParameterError('Range of blkio weight is from 10 to 1000');
  if ((r.IOMaximumBandwidth ?? 0) !== 0 || (r.IOMaximumIOps ?? 0) !== 0) {
    throw new InvalidParameterError('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  }
  const lists: Array<[keyof ResourceFields & string, boolean, string]> = [
    ['BlkioWeightDevice', host.blkioWeightDevice, 'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.'],
    ['BlkioDeviceReadBps', host.blkioReadBps, 'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.'],
    ['BlkioDeviceWriteBps', host.blkioWriteBps, 'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.'],
    ['BlkioDeviceReadIOps', host.blkioReadIOps, 'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.'],
    ['BlkioDeviceWriteIOps', host.blkioWriteIOps, 'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.'],
  ];
  for (const [key, supported, message] of lists) {
    const v = r[key];
    if (Array.isArray(v) && v.length > 0 && !supported) {
      warnings.push(message);
      r[key] = [];
    }
  }
  return warnings;
}
