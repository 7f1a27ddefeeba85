/**
 * Whether the kernel's OOM killer struck in a container's cgroup, read from the cgroup's own
 * counter (v1 memory.oom_control, v2 memory.events `oom_kill`) after the container exits and
 * before the runtime deletes the cgroup. The counter covers every process of the container,
 * as docker's OOMKilled does, and it survives a daemon restart, unlike an event.
 */
import { bytesText } from './limit-text.js';
import type { ContainerRecord } from '../container-types.js';
import type { CgroupDriver } from '../../../drivers/cgroups/cgroup-driver.js';

export interface OomVerdict {
  oomKilled: boolean;
  /** What to tell the user in State.Error; empty when nothing was killed. */
  explanation: string;
}

export async function oomVerdict(driver: CgroupDriver, cgroupPath: string, record: ContainerRecord, exitCode: number): Promise<OomVerdict> {
  const kills = await driver.oomKills(cgroupPath).catch(() => 0);
  if (kills === 0) return { oomKilled: false, explanation: '' };
  const limit = record.HostConfig.Memory > 0 ? `its memory limit of ${bytesText(record.HostConfig.Memory)} (-m/--memory)` : 'the memory available to it';
  const who = exitCode === 137 ? 'the container was killed' : kills === 1 ? 'a process of the container was killed' : `${kills} processes of the container were killed`;
  return {
    oomKilled: true,
    explanation: `${who} by the kernel's OOM killer: it ran out of ${limit}; give it more memory (docker update -m) or make it use less`,
  };
}
