/**
 * The host's cgroup support, the driver for its layout and its security facts: part of the
 * daemon's HostFacts, detected once at start and handed to the services that need them.
 */
import type { CgroupDriver } from '../../../drivers/cgroups/cgroup-driver.js';
import { cgroupDriverFor, detectCgroupSupport, type CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';
import { readHostSecurity, type HostSecurity } from '../../../drivers/host/host-security.js';

export interface HostLimits {
  cgroups: CgroupSupport;
  driver: CgroupDriver;
  security: HostSecurity;
}

export async function detectHostLimits(): Promise<HostLimits> {
  const cgroups = await detectCgroupSupport();
  return { cgroups, driver: cgroupDriverFor(cgroups), security: readHostSecurity() };
}

/** What a rootless daemon without cgroup delegation can limit: nothing (checkResources says so). */
export function undelegatedSupport(c: CgroupSupport): CgroupSupport {
  const none = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'boolean' ? false : v])) as unknown as CgroupSupport;
  return { ...none, undelegated: true };
}

/** `docker info`'s warnings for what the host's cgroups cannot limit (moby's fillPlatformInfo wording). */
export function cgroupWarnings(c: CgroupSupport): string[] {
  const v1 = c.version === 1;
  const gaps: Array<[boolean, string]> = [
    [c.memoryLimit, 'No memory limit support'],
    [c.swapLimit, 'No swap limit support'],
    [c.oomKillDisable || !v1, 'No oom kill disable support'],
    [c.cpuCfs, 'No cpu cfs quota support'],
    [c.cpuCfs, 'No cpu cfs period support'],
    [c.cpuShares, 'No cpu shares support'],
    [c.cpuset, 'No cpuset support'],
    [c.blkioWeight, v1 ? 'No blkio weight support' : 'No io.weight support'],
    [c.blkioWeightDevice, v1 ? 'No blkio weight_device support' : 'No io.weight (per device) support'],
    [c.blkioReadBps, v1 ? 'No blkio throttle.read_bps_device support' : 'No io.max (rbps) support'],
    [c.blkioWriteBps, v1 ? 'No blkio throttle.write_bps_device support' : 'No io.max (wbps) support'],
    [c.blkioReadIOps, v1 ? 'No blkio throttle.read_iops_device support' : 'No io.max (riops) support'],
    [c.blkioWriteIOps, v1 ? 'No blkio throttle.write_iops_device support' : 'No io.max (wiops) support'],
  ];
  return gaps.filter(([ok]) => !ok).map(([, text]) => `WARNING: ${text}`);
}
