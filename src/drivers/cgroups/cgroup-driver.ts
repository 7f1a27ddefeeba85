/**
 * One interface over the two cgroup layouts: v1 (one hierarchy per controller; also the
 * controllers of a hybrid host) and v2 (the unified tree). The runtime creates a container's
 * cgroup from the OCI spec; this driver changes its limits afterwards (`docker update`),
 * reads what happened in it (OOM kills) and samples its use (`docker stats`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPseudoFile, type CgroupSample } from './cgroup-stats.js';

/**
 * Limits in docker's API units. An absent field is left as it is; -1 lifts a limit where the
 * API allows it (memory, memory+swap, CPU quota, pids).
 */
export interface CgroupLimits {
  memory?: number;
  /** Memory plus swap, as docker counts it (v2 writes the swap part alone). */
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Writes the given limits into an existing cgroup (`path` is relative to the cgroup root, e.g. /berth/<id>). */
  update(path: string, limits: CgroupLimits): Promise<void>;
  /** How many processes the kernel's OOM killer has killed in the cgroup (0 when it is gone). */
  oomKills(path: string): Promise<number>;
  /** The most memory the cgroup ever used, in bytes (v1 max_usage_in_bytes, v2 memory.peak); 0 when unknown or gone. */
  memoryPeak(path: string): Promise<number>;
  sample(path: string): Promise<CgroupSample>;
}

/** The default mount point of the cgroup file systems. */
export const CGROUP_ROOT = '/sys/fs/cgroup';

/** `key value` lines (cpu.stat, memory.events, memory.oom_control…) as numbers. */
export async function readKeyedFile(path: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of readPseudoFile(path).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** True when `root` is a cgroup2 mount (the unified tree has cgroup.controllers at its top). */
export async function isUnifiedRoot(root = CGROUP_ROOT): Promise<boolean> {
  return readFile(join(root, 'cgroup.controllers'), 'utf8').then(
    () => true,
    () => false,
  );
}
