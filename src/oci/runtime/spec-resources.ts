/**
 * Cgroup limits and rlimits in OCI form, from the API's HostConfig values, following moby's
 * getMemoryResources / getCPUResources / getPidsLimit / WithRlimits. Limits left at zero are
 * omitted, so the runtime leaves the cgroup's own default in place.
 */
import { InvalidParameterError } from '../../core/errors.js';
import { defaultDeviceCgroupRules } from './default-spec.js';
import type {
  LinuxCpu,
  LinuxDeviceCgroup,
  LinuxMemory,
  LinuxResources,
  PosixRlimit,
} from './runtime-spec-types.js';
import type { ContainerResources, Ulimit } from './container-spec-input.js';

/** The CFS period `--cpus` uses: 100 ms, in µs. */
const NANO_CPUS_PERIOD = 100_000;

function memory(r: ContainerResources): LinuxMemory | undefined {
  const m: LinuxMemory = {};
  if (r.memory && r.memory > 0) m.limit = r.memory;
  if (r.memoryReservation && r.memoryReservation > 0) m.reservation = r.memoryReservation;
  // -1 (unlimited) is left out, as docker does: no swap limit is the cgroup default.
  if (r.memorySwap && r.memorySwap > 0) m.swap = r.memorySwap;
  if (r.memorySwappiness !== undefined && r.memorySwappiness !== -1) {
    if (r.memorySwappiness < 0 || r.memorySwappiness > 100) {
      throw new InvalidParameterError(`Invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
    }
    m.swappiness = r.memorySwappiness;
  }
  if (r.oomKillDisable !== undefined) m.disableOOMKiller = r.oomKillDisable;
  return Object.keys(m).length > 0 ? m : undefined;
}

function cpu(r: ContainerResources): LinuxCpu | undefined {
  const c: LinuxCpu = {};
  if (r.cpuShares) {
    if (r.cpuShares < 0) {
      throw new InvalidParameterError(`invalid CPU shares (${r.cpuShares}): value must be a positive integer`);
    }
    c.shares = r.cpuShares;
  }
  if (r.cpusetCpus) c.cpus = r.cpusetCpus;
  if (r.cpusetMems) c.mems = r.cpusetMems;
  if (r.nanoCpus && r.nanoCpus > 0) {
    c.period = NANO_CPUS_PERIOD;
    c.quota = Math.trunc((r.nanoCpus * NANO_CPUS_PERIOD) / 1e9);
  }
  if (r.cpuPeriod) c.period = r.cpuPeriod;
  if (r.cpuQuota) c.quota = r.cpuQuota;
  if (r.cpuRealtimePeriod) c.realtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime) c.realtimeRuntime = r.cpuRealtimeRuntime;
  return Object.keys(c).length > 0 ? c : undefined;
}

const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One `--device-cgroup-rule` ("c 42:* rmw") as an allow rule; `*` becomes -1 as in docker. */
export function parseDeviceCgroupRule(rule: string): LinuxDeviceCgroup {
  const m = DEVICE_RULE.exec(rule);
  if (!m) throw new InvalidParameterError(`invalid device cgroup rule format: '${rule}'`);
  const num = (s: string | undefined): number => (s === undefined || s === '*' ? -1 : Number(s));
  return { allow: true, type: m[1] as 'a' | 'b' | 'c', major: num(m[2]), minor: num(m[3]), access: m[4] ?? '' };
}

/**
 * The `linux.resources` section. A privileged container may use every device; the
 * device nodes themselves (`linux.devices`) are added by the caller from the host's /dev.
 */
export function buildResources(
  r: ContainerResources,
  privileged: boolean,
  deviceCgroupRules: readonly string[],
): LinuxResources {
  const devices: LinuxDeviceCgroup[] = privileged
    ? [{ allow: true, access: 'rwm' }]
    : [...defaultDeviceCgroupRules(), ...deviceCgroupRules.map(parseDeviceCgroupRule)];
  const out: LinuxResources = { devices };
  const mem = memory(r);
  if (mem) out.memory = mem;
  const c = cpu(r);
  if (c) out.cpu = c;
  // 0 and negative values mean "no limit" in the API; runc needs -1 to lift a limit.
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}

/** The rlimit names docker accepts (go-units ulimitNameMapping). */
const ULIMIT_NAMES: ReadonlySet<string> = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

/** RLIM_INFINITY: docker writes -1 as the uint64 it wraps to. */
const RLIM_INFINITY = 2n ** 64n - 1n;

function rlimitValue(n: number): number | bigint {
  return n < 0 ? RLIM_INFINITY : n;
}

/** `--ulimit` values as process rlimits (RLIMIT_NOFILE…), in the order given. */
export function buildRlimits(ulimits: readonly Ulimit[]): PosixRlimit[] {
  return ulimits.map((u) => {
    if (!ULIMIT_NAMES.has(u.name)) throw new InvalidParameterError(`invalid ulimit type: ${u.name}`);
    const soft = rlimitValue(u.soft);
    const hard = rlimitValue(u.hard);
    if (soft > hard) {
      throw new InvalidParameterError(
        `ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`,
      );
    }
    return { type: `RLIMIT_${u.name.toUpperCase()}`, hard, soft };
  });
}
