/**
 * What the host's cgroups can limit, found once at daemon start (moby's pkg/sysinfo): the
 * create and update checks discard what the host lacks with docker's warnings, and refuse
 * CPUs or memory nodes the host does not have.
 */
import { access, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CGROUP_ROOT, isUnifiedRoot, type CgroupDriver } from './cgroup-driver.js';
import { CgroupV1Driver } from './cgroup-v1.js';
import { CgroupV2Driver } from './cgroup-v2.js';

export interface CgroupSupport {
  version: 1 | 2;
  ncpu: number;
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  pidsLimit: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  /** Real-time CPU budgets (v1 cpu.rt_runtime_us; v2 has none). */
  cpuRealtime: boolean;
  cpuset: boolean;
  /** The CPUs and memory nodes containers may use ("0-1", "0"). */
  cpus: string;
  mems: string;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBps: boolean;
  blkioWriteBps: boolean;
  blkioReadIOps: boolean;
  blkioWriteIOps: boolean;
  /**
   * A rootless daemon that was delegated no cgroup (issue 23): nothing can be limited, the
   * controllers above say none, and limits are discarded with one warning, not refused.
   */
  undelegated?: boolean;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const text = (p: string): Promise<string> => readFile(p, 'utf8').then((t) => t.trim(), () => '');

async function v1Support(root: string): Promise<CgroupSupport> {
  const has = (controller: string, file: string): Promise<boolean> => exists(join(root, controller, file));
  const [memoryLimit, swapLimit, memoryReservation, memorySwappiness, oomKillDisable, pidsLimit, cpuShares, cpuCfs, cpuRealtime] = await Promise.all([
    has('memory', 'memory.limit_in_bytes'),
    has('memory', 'memory.memsw.limit_in_bytes'),
    has('memory', 'memory.soft_limit_in_bytes'),
    has('memory', 'memory.swappiness'),
    has('memory', 'memory.oom_control'),
    exists(join(root, 'pids')),
    has('cpu', 'cpu.shares'),
    has('cpu', 'cpu.cfs_quota_us'),
    has('cpu', 'cpu.rt_runtime_us'),
  ]);
  const [weight, bfqWeight, weightDevice, readBps, writeBps, readIOps, writeIOps] = await Promise.all([
    has('blkio', 'blkio.weight'),
    has('blkio', 'blkio.bfq.weight'),
    has('blkio', 'blkio.weight_device'),
    has('blkio', 'blkio.throttle.read_bps_device'),
    has('blkio', 'blkio.throttle.write_bps_device'),
    has('blkio', 'blkio.throttle.read_iops_device'),
    has('blkio', 'blkio.throttle.write_iops_device'),
  ]);
  const cpusText = await text(join(root, 'cpuset', 'cpuset.effective_cpus')) || await text(join(root, 'cpuset', 'cpuset.cpus'));
  const mems = await text(join(root, 'cpuset', 'cpuset.effective_mems')) || await text(join(root, 'cpuset', 'cpuset.mems'));
  return {
    version: 1,
    ncpu: cpus().length,
    memoryLimit, swapLimit, memoryReservation, memorySwappiness, oomKillDisable, pidsLimit, cpuShares, cpuCfs, cpuRealtime,
    cpuset: cpusText !== '',
    cpus: cpusText,
    mems,
    blkioWeight: weight || bfqWeight,
    blkioWeightDevice: weightDevice,
    blkioReadBps: readBps, blkioWriteBps: writeBps, blkioReadIOps: readIOps, blkioWriteIOps: writeIOps,
  };
}

async function v2Support(root: string): Promise<CgroupSupport> {
  const controllers = new Set((await text(join(root, 'cgroup.controllers'))).split(/\s+/));
  const memory = controllers.has('memory');
  const io = controllers.has('io');
  const cpu = controllers.has('cpu');
  return {
    version: 2,
    ncpu: cpus().length,
    memoryLimit: memory,
    swapLimit: memory && (await exists('/proc/swaps')),
    memoryReservation: memory,
    // v2 has neither: the kernel dropped swappiness per cgroup and the OOM-killer switch.
    memorySwappiness: false,
    oomKillDisable: false,
    pidsLimit: controllers.has('pids'),
    cpuShares: cpu,
    cpuCfs: cpu,
    cpuRealtime: false,
    cpuset: controllers.has('cpuset'),
    cpus: (await text(join(root, 'cpuset.cpus.effective'))) || `0-${cpus().length - 1}`,
    mems: (await text(join(root, 'cpuset.mems.effective'))) || '0',
    blkioWeight: io,
    blkioWeightDevice: io,
    blkioReadBps: io, blkioWriteBps: io, blkioReadIOps: io, blkioWriteIOps: io,
  };
}

/** v2 when the unified tree is mounted at the root; otherwise the v1 controllers (hybrid hosts too). */
export async function detectCgroupSupport(root = CGROUP_ROOT): Promise<CgroupSupport> {
  return (await isUnifiedRoot(root)) ? v2Support(root) : v1Support(root);
}

export function cgroupDriverFor(support: Pick<CgroupSupport, 'version'>, root = CGROUP_ROOT): CgroupDriver {
  return support.version === 2 ? new CgroupV2Driver(root) : new CgroupV1Driver(root);
}
