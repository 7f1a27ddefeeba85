/**
 * The host's cgroup support, the driver for its layout and its security facts, found once
 * per daemon (the first container that needs them pays a few file reads).
 */
import type { CgroupDriver } from '../../../drivers/cgroups/cgroup-driver.js';
import { cgroupDriverFor, detectCgroupSupport, type CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';
import { hostSecurity, type HostSecurity } from '../../../drivers/host/host-security.js';

export interface HostLimits {
  cgroups: CgroupSupport;
  driver: CgroupDriver;
  security: HostSecurity;
}

let detected: Promise<HostLimits> | undefined;

export function hostLimits(): Promise<HostLimits> {
  detected ??= detectCgroupSupport().then((cgroups) => ({ cgroups, driver: cgroupDriverFor(cgroups), security: hostSecurity() }));
  return detected;
}
