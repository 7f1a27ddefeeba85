/**
 * `docker update`: new limits for a container. They are checked as create checks them,
 * merged into the record as moby's UpdateContainer merges them (a zero field keeps the
 * current value), written into the running container's cgroup through the host's cgroup
 * driver, and only then saved: a value the kernel refuses leaves the container as it was.
 */
import { ConflictError, InvalidParameterError } from '../../../core/errors.js';
import type { CgroupDriver, CgroupLimits } from '../../../drivers/cgroups/cgroup-driver.js';
import type { CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';
import type { ContainerRecord, HostConfig } from '../container-types.js';
import { checkResources, type ResourceFields } from './resource-checks.js';

/** The body of `POST /containers/{id}/update`: docker's Resources plus RestartPolicy. */
export type UpdateRequest = ResourceFields & { RestartPolicy?: { Name?: string; MaximumRetryCount?: number } };

/** Fields update can change; a zero or absent value leaves the current one. */
const UPDATABLE = [
  'BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap',
  'MemoryReservation', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
] as const;

/** NanoCpus as the CFS quota over docker's 100 ms period. */
const NANO_PERIOD = 100_000;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * Merges `req` into a copy of the record's HostConfig, with moby's conflict rules. One rule
 * is kinder than docker's: a memory limit above the swap limit is refused only when the
 * container has a swap limit (docker also refuses it for a container that has none).
 */
function merge(hc: HostConfig, req: UpdateRequest, id: string): HostConfig {
  const conflict = (message: string): never => {
    throw new ConflictError(`Cannot update container ${id}: ${message}`);
  };
  const next: HostConfig = { ...hc };
  const swapNow = num(hc.MemorySwap);
  if (num(req.Memory) !== 0 && swapNow > 0 && num(req.Memory) > swapNow && num(req.MemorySwap) === 0) {
    conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  if (num(req.NanoCpus) !== 0 && (num(hc.CpuQuota) !== 0 || num(hc.CpuPeriod) !== 0) && num(req.CpuQuota) === 0 && num(req.CpuPeriod) === 0) {
    conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period/Quota has already been set');
  }
  if (hc.NanoCpus !== 0 && num(req.NanoCpus) === 0) {
    if (num(req.CpuQuota) !== 0) conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    if (num(req.CpuPeriod) !== 0) conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  }
  for (const key of UPDATABLE) {
    const v: unknown = req[key];
    if (v !== undefined && v !== null && v !== 0 && v !== '') (next as Record<string, unknown>)[key] = v;
  }
  if (req.PidsLimit !== undefined && req.PidsLimit !== null) next.PidsLimit = req.PidsLimit > 0 ? req.PidsLimit : null;
  return next;
}

/** The cgroup writes the change needs: only what the request touched. */
function cgroupChanges(next: HostConfig, req: UpdateRequest): CgroupLimits {
  const l: CgroupLimits = {};
  if (num(req.Memory) !== 0 || num(req.MemorySwap) !== 0) {
    l.memory = next.Memory > 0 ? next.Memory : -1;
    if (num(next.MemorySwap) !== 0) l.memorySwap = num(next.MemorySwap);
  }
  if (num(req.MemoryReservation) !== 0) l.memoryReservation = num(next.MemoryReservation);
  if (num(req.CpuShares) !== 0) l.cpuShares = next.CpuShares;
  if (num(req.NanoCpus) !== 0) {
    l.cpuPeriod = NANO_PERIOD;
    l.cpuQuota = Math.trunc((next.NanoCpus * NANO_PERIOD) / 1e9);
  }
  if (num(req.CpuPeriod) !== 0) l.cpuPeriod = num(next.CpuPeriod);
  if (num(req.CpuQuota) !== 0) l.cpuQuota = num(next.CpuQuota);
  if (req.CpusetCpus) l.cpusetCpus = req.CpusetCpus;
  if (req.CpusetMems) l.cpusetMems = req.CpusetMems;
  if (req.PidsLimit !== undefined && req.PidsLimit !== null) l.pidsLimit = req.PidsLimit > 0 ? req.PidsLimit : -1;
  if (num(req.BlkioWeight) !== 0) l.blkioWeight = num(next.BlkioWeight);
  return l;
}

export interface UpdateDeps {
  driver: CgroupDriver;
  support: CgroupSupport;
  /** The container's cgroup, relative to the cgroup root. */
  cgroupPath: string;
  save: (record: ContainerRecord) => Promise<void>;
}

/** Applies `req` to the container; returns docker's warnings. */
export async function updateContainer(record: ContainerRecord, req: UpdateRequest, d: UpdateDeps): Promise<string[]> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new InvalidParameterError('update config must be a JSON object');
  const checked: UpdateRequest = { ...req };
  const warnings = checkResources(checked, d.support, true);
  if (record.State.Status === 'removing' || record.State.Dead) throw new ConflictError(`Cannot update container ${record.Id}: container is marked for removal and cannot be "update"`);
  const next = merge(record.HostConfig, checked, record.Id);
  // The merged limits must hold together as a created container's would.
  const whole: ResourceFields = { ...next };
  checkResources(whole, d.support, true);
  if (record.State.Running) {
    await d.driver.update(d.cgroupPath, cgroupChanges(next, checked)).catch((err: unknown) => {
      if (err instanceof Error) err.message = `Cannot update container ${record.Id}: ${err.message}`;
      throw err;
    });
  }
  record.HostConfig = next;
  await d.save(record);
  return warnings;
}
