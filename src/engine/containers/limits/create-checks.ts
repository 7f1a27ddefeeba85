/**
 * What `docker create` checks and fills in on the daemon side for limits and security, so a
 * bad value is refused before anything is made and `inspect` shows HostConfig as docker does:
 * docker's defaults (MemorySwap twice Memory, 64 MiB /dev/shm, the masked paths), resource
 * checks, capability names, security options, sysctls and devices.
 */
import { InvalidParameterError } from '../../../core/errors.js';
import type { CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';
import { blockDeviceNumbers, devicesFor } from '../../../drivers/host/host-devices.js';
import type { HostSecurity } from '../../../drivers/host/host-security.js';
import { normalizeCapabilities } from '../../../oci/runtime/capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE } from '../../../oci/runtime/default-spec.js';
import { validateSysctls } from '../../../oci/runtime/sysctl-validation.js';
import type { HostConfig } from '../container-types.js';
import { checkResources } from './resource-checks.js';
import { parseSecurityOptions } from './security-options.js';
import type { DeviceMapping } from '../../../api/types/container.js';

/** HostConfig fields docker's inspect always shows, with the values of a container that set none. */
const DOCKER_DEFAULTS: Readonly<Record<string, unknown>> = {
  ContainerIDFile: '',
  VolumeDriver: '',
  VolumesFrom: null,
  Dns: null,
  DnsOptions: null,
  DnsSearch: null,
  GroupAdd: null,
  Cgroup: '',
  Links: null,
  OomScoreAdj: 0,
  PublishAllPorts: false,
  UsernsMode: '',
  Isolation: '',
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: null,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  BlkioDeviceReadIOps: null,
  BlkioDeviceWriteIOps: null,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: null,
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: false,
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
};


function checkDeviceMappings(v: unknown): DeviceMapping[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidParameterError('HostConfig.Devices must be a list');
  return v.map((d: Partial<DeviceMapping>) => {
    if (typeof d?.PathOnHost !== 'string' || d.PathOnHost === '') throw new InvalidParameterError('HostConfig.Devices: every device needs a PathOnHost');
    const perms = d.CgroupPermissions || 'rwm';
    if (!/^[rwm]{1,3}$/.test(perms)) throw new InvalidParameterError(`invalid device cgroup permissions "${perms}" for ${d.PathOnHost}`);
    return { PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer || d.PathOnHost, CgroupPermissions: perms };
  });
}

/**
 * Fills `hc` with docker's defaults and checks it; returns the warnings docker would give.
 * Throws InvalidParameterError with docker's message for a setting that cannot work.
 */
export async function checkCreateHostConfig(hc: HostConfig, cgroups: CgroupSupport, security: HostSecurity): Promise<string[]> {
  for (const [key, value] of Object.entries(DOCKER_DEFAULTS)) if (hc[key] === undefined) hc[key] = value;
  if (typeof hc.ShmSize !== 'number' || hc.ShmSize === 0) hc.ShmSize = DEFAULT_SHM_SIZE;
  if ((hc.ShmSize as number) < 0) throw new InvalidParameterError('SHM size can not be less than 0');
  const oomScore = hc.OomScoreAdj as number;
  if (oomScore < -1000 || oomScore > 1000) throw new InvalidParameterError(`Invalid value ${oomScore}, range for oom score adj is [-1000, 1000]`);
  // docker's default cgroup namespace: the host's on v1, a private one on v2.
  if (!hc.CgroupnsMode) hc.CgroupnsMode = cgroups.version === 2 ? 'private' : 'host';
  if (hc.CgroupnsMode !== 'host' && hc.CgroupnsMode !== 'private') throw new InvalidParameterError(`invalid cgroup namespace mode: ${String(hc.CgroupnsMode)}`);
  if (hc.Memory > 0 && (hc.MemorySwap ?? 0) === 0) hc.MemorySwap = hc.Memory * 2;
  const warnings = checkResources(hc, cgroups);
  if (hc.PidsLimit !== null && hc.PidsLimit <= 0) hc.PidsLimit = null;
  for (const [field, list] of [['CapAdd', hc.CapAdd], ['CapDrop', hc.CapDrop]] as const) {
    try {
      // Against root's real bounding set: a capability berthd lacks cannot be granted (docker fails at start).
      normalizeCapabilities(list ?? [], field === 'CapAdd' ? security.capabilities : undefined);
    } catch (err) {
      throw new InvalidParameterError(`invalid ${field}: ${(err as Error).message}`);
    }
  }
  parseSecurityOptions(hc.SecurityOpt ?? [], security);
  if (hc.Sysctls) {
    validateSysctls(hc.Sysctls, { ipc: hc.IpcMode !== 'host', network: hc.NetworkMode !== 'host', uts: hc.UTSMode !== 'host' });
  }
  for (const key of ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'] as const) {
    const list = hc[key];
    if (Array.isArray(list)) for (const d of list as Array<{ Path?: unknown }>) await blockDeviceNumbers(String(d?.Path ?? ''));
  }
  const devices = checkDeviceMappings(hc.Devices);
  for (const d of devices) await devicesFor(d.PathOnHost, d.PathInContainer);
  if (hc.Devices !== null) hc.Devices = devices;
  if (!hc.Privileged) {
    if (hc.MaskedPaths === undefined || hc.MaskedPaths === null) hc.MaskedPaths = [...DEFAULT_MASKED_PATHS];
    if (hc.ReadonlyPaths === undefined || hc.ReadonlyPaths === null) hc.ReadonlyPaths = [...DEFAULT_READONLY_PATHS];
  }
  return warnings;
}
