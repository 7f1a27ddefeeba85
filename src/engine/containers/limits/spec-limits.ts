/**
 * A container's limits and devices in its OCI spec: HostConfig's resource fields in the
 * builder's terms, and what needs the host (device nodes, block-device numbers), both input
 * to the spec builder.
 */
import { blockDeviceNumbers, devicesFor, hostDevices } from '../../../drivers/host/host-devices.js';
import type { ContainerResources, HostDeviceParts } from '../../../oci/runtime/container-spec-input.js';
import type { LinuxThrottleDevice, LinuxWeightDevice } from '../../../oci/runtime/runtime-spec-types.js';
import type { HostConfig } from '../container-types.js';
import type { DeviceMapping } from '../../../api/types/container.js';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** HostConfig → the builder's resources; zero means "not set" as in the API. */
export function specResources(hc: HostConfig): ContainerResources {
  const r: ContainerResources = {};
  if (hc.Memory > 0) r.memory = hc.Memory;
  if (num(hc.MemorySwap) !== 0) r.memorySwap = num(hc.MemorySwap);
  if (num(hc.MemoryReservation) > 0) r.memoryReservation = num(hc.MemoryReservation);
  if (typeof hc.MemorySwappiness === 'number' && hc.MemorySwappiness >= 0) r.memorySwappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable === true) r.oomKillDisable = true;
  if (hc.NanoCpus > 0) r.nanoCpus = hc.NanoCpus;
  if (hc.CpuShares > 0) r.cpuShares = hc.CpuShares;
  if (num(hc.CpuPeriod) > 0) r.cpuPeriod = num(hc.CpuPeriod);
  if (num(hc.CpuQuota) !== 0) r.cpuQuota = num(hc.CpuQuota);
  if (num(hc.CpuRealtimePeriod) > 0) r.cpuRealtimePeriod = num(hc.CpuRealtimePeriod);
  if (num(hc.CpuRealtimeRuntime) > 0) r.cpuRealtimeRuntime = num(hc.CpuRealtimeRuntime);
  if (typeof hc.CpusetCpus === 'string' && hc.CpusetCpus !== '') r.cpusetCpus = hc.CpusetCpus;
  if (typeof hc.CpusetMems === 'string' && hc.CpusetMems !== '') r.cpusetMems = hc.CpusetMems;
  if (hc.PidsLimit !== null && hc.PidsLimit > 0) r.pidsLimit = hc.PidsLimit;
  if (num(hc.BlkioWeight) > 0) r.blkioWeight = num(hc.BlkioWeight);
  return r;
}

async function throttles(list: unknown): Promise<LinuxThrottleDevice[]> {
  const out: LinuxThrottleDevice[] = [];
  for (const t of (Array.isArray(list) ? list : []) as Array<{ Path: string; Rate: number }>) out.push({ ...(await blockDeviceNumbers(t.Path)), rate: t.Rate });
  return out;
}

/**
 * What needs the host, for the spec builder: every host device for `--privileged` (docker gives
 * them all), the `--device` nodes with their cgroup rules, and the blkio per-device weights and
 * throttles (by the devices' numbers).
 */
export async function hostSpecParts(hc: HostConfig): Promise<HostDeviceParts> {
  const parts: HostDeviceParts = { devices: [], rules: [], blockIO: {} };
  if (hc.Privileged) {
    parts.devices = await hostDevices();
  } else {
    for (const d of (hc.Devices ?? []) as DeviceMapping[]) {
      for (const dev of await devicesFor(d.PathOnHost, d.PathInContainer)) {
        parts.devices.push(dev);
        parts.rules.push({ allow: true, type: dev.type === 'b' ? 'b' : 'c', major: dev.major ?? -1, minor: dev.minor ?? -1, access: d.CgroupPermissions });
      }
    }
  }
  const weights: LinuxWeightDevice[] = [];
  for (const w of (Array.isArray(hc.BlkioWeightDevice) ? hc.BlkioWeightDevice : []) as Array<{ Path: string; Weight: number }>) {
    weights.push({ ...(await blockDeviceNumbers(w.Path)), weight: w.Weight });
  }
  const [rb, wb, ri, wi] = await Promise.all([throttles(hc.BlkioDeviceReadBps), throttles(hc.BlkioDeviceWriteBps), throttles(hc.BlkioDeviceReadIOps), throttles(hc.BlkioDeviceWriteIOps)]);
  parts.blockIO = { weightDevice: weights, throttleReadBpsDevice: rb, throttleWriteBpsDevice: wb, throttleReadIOPSDevice: ri, throttleWriteIOPSDevice: wi };
  return parts;
}
