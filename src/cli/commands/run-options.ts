/**
 * run/create flags → `POST /containers/create` body, following the docker CLI's `parse()`
 * (cli/command/container/opts.go): the same defaults, the same client-side checks and messages.
 * Whatever maps onto a create field goes into the body; the daemon refuses what it cannot do.
 */
import type { ContainerConfig, CreateRequest, HealthConfig, HostConfig } from '../../api/types/container.js';
import { hostEnv, kvToMap, readEnv, readLabels, type EnvLookup } from './run-env-file.js';
import type { RunFlags } from './run-flags.js';
import { HEALTH_ON_FAILURE_LABEL } from '../../core/health-on-failure.js';
import {
  parseExtraHost, parseGpus, parseKeyValueMap, parseRestartPolicy, parseSecurityOpts, parseThrottleDevice, parseWeightDevice,
} from './run-host-opts.js';
import { parseDevice, parseMount, parseTmpfs, splitVolumes } from './run-mounts.js';
import { parseNetworking } from './run-network.js';
import { parseExpose, parsePublish } from './run-ports.js';
import { FlagError, memSwapBytes, parseGoDuration, parseIntFlag, parseNanoCpus, parseUlimit, ramInBytes } from './run-units.js';

export interface BuildContext {
  /** `[rows, cols]` of the terminal (docker sends `[0, 0]` when stdout is not one). */
  consoleSize: [number, number];
  lookupEnv?: EnvLookup;
}

const list = (v: string[] | undefined): string[] => v ?? [];

/** A typed flag's value error, worded as pflag words it: `invalid argument "x" for "-m, --memory" flag: …`. */
function flagValue<T>(flag: string, value: string, parse: (v: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof FlagError && !err.message.startsWith('invalid argument')) throw new FlagError(`invalid argument "${value}" for "${flag}" flag: ${err.message}`);
    throw err;
  }
}
/** A flag's parsed value, or `dflt` when the flag was not given. */
export const optional = <T>(flag: string, value: string | undefined, parse: (v: string) => T, dflt: T): T => (value === undefined ? dflt : flagValue(flag, value, parse));
const orNull = (v: string[] | undefined): string[] | null => (v && v.length > 0 ? v : null);
const int = (flag: string, v: string | undefined, dflt = 0): number => (v === undefined ? dflt : parseIntFlag(flag, v));
const bytes = (flag: string, v: string | undefined): number => optional(flag, v, ramInBytes, 0);

const NAMESPACE_MODES: Array<[keyof RunFlags, string, RegExp]> = [
  ['pid', '--pid: invalid PID mode', /^(|host|container:.+)$/],
  ['uts', '--uts: invalid UTS mode', /^(|host)$/],
  ['userns', '--userns: invalid USER mode', /^(|host|private)$/],
  ['cgroupns', '--cgroupns: invalid CGROUP mode', /^(|host|private)$/],
];

function attachStreams(flags: RunFlags): { stdin: boolean; stdout: boolean; stderr: boolean } {
  const streams = list(flags.attach).map((s) => s.toLowerCase());
  for (const s of streams) if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new FlagError('valid streams are STDIN, STDOUT and STDERR');
  const none = streams.length === 0;
  return { stdin: streams.includes('stdin') || flags.interactive === true, stdout: none || streams.includes('stdout'), stderr: none || streams.includes('stderr') };
}

function healthcheck(flags: RunFlags): HealthConfig | undefined {
  const interval = optional('--health-interval', flags.healthInterval, parseGoDuration, 0);
  const timeout = optional('--health-timeout', flags.healthTimeout, parseGoDuration, 0);
  const startPeriod = optional('--health-start-period', flags.healthStartPeriod, parseGoDuration, 0);
  const startInterval = optional('--health-start-interval', flags.healthStartInterval, parseGoDuration, 0);
  const retries = int('--health-retries', flags.healthRetries);
  const cmd = flags.healthCmd ?? '';
  const haveSettings = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (flags.healthcheck === false) {
    if (haveSettings) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!haveSettings) return undefined;
  for (const [name, v] of [['interval', interval], ['timeout', timeout], ['retries', retries], ['start-period', startPeriod], ['start-interval', startInterval]] as const) {
    if (v < 0) throw new FlagError(`--health-${name} cannot be negative`);
  }
  return {
    ...(cmd !== '' ? { Test: ['CMD-SHELL', cmd] } : {}),
    Interval: interval, Timeout: timeout, StartPeriod: startPeriod, StartInterval: startInterval, Retries: retries,
  };
}

function containerConfig(flags: RunFlags, image: string, args: string[], lookupEnv: EnvLookup): ContainerConfig {
  const attach = attachStreams(flags);
  const publish = parsePublish(list(flags.publish));
  const exposed = { ...publish.exposed };
  for (const key of parseExpose(list(flags.expose))) exposed[key] = {};
  const { volumes } = splitVolumes(list(flags.volume));
  const openStdin = flags.interactive === true;
  const config: ContainerConfig = {
    Hostname: flags.hostname ?? '',
    Domainname: flags.domainname ?? '',
    User: flags.user ?? '',
    AttachStdin: attach.stdin,
    AttachStdout: attach.stdout,
    AttachStderr: attach.stderr,
    ExposedPorts: exposed,
    Tty: flags.tty === true,
    OpenStdin: openStdin,
    // With stdin attached, the client's EOF closes the container's stdin.
    StdinOnce: openStdin && attach.stdin,
    Env: orNull(readEnv(list(flags.envFile), list(flags.env), lookupEnv)),
    Cmd: args.length > 0 ? args : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: flags.workdir ?? '',
    // `--entrypoint ""` resets the image's entrypoint: docker sends [""] for it.
    Entrypoint: flags.entrypoint === undefined ? null : [flags.entrypoint],
    OnBuild: null,
    Labels: readLabels(list(flags.labelFile), list(flags.label)),
  };
  // Sent as the label the docker CLI and compose can set too: the daemon checks and acts on it.
  if (flags.healthOnFailure !== undefined) config.Labels = { ...config.Labels, [HEALTH_ON_FAILURE_LABEL]: flags.healthOnFailure };
  const health = healthcheck(flags);
  if (health) config.Healthcheck = health;
  if (flags.stopSignal !== undefined) config.StopSignal = flags.stopSignal;
  if (flags.stopTimeout !== undefined) config.StopTimeout = parseIntFlag('--stop-timeout', flags.stopTimeout);
  return config;
}

function hostConfig(flags: RunFlags, ctx: BuildContext, networkMode: string): HostConfig {
  const swappiness = int('--memory-swappiness', flags.memorySwappiness, -1);
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new FlagError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  for (const [key, message, valid] of NAMESPACE_MODES) {
    const v = flags[key];
    if (typeof v === 'string' && !valid.test(v)) throw new FlagError(message);
  }
  const restart = parseRestartPolicy(flags.restart ?? 'no');
  if (flags.rm === true && restart.Name !== '' && restart.Name !== 'no') throw new FlagError('conflicting options: cannot specify both --restart and --rm');
  if (flags.logDriver === 'none' && list(flags.logOpt).length > 0) throw new FlagError('invalid logging opts for driver none');
  const { securityOpt, unconfinedPaths } = parseSecurityOpts(list(flags.securityOpt));
  const devices: HostConfig['Devices'] = [];
  const cdi: string[] = [];
  for (const d of list(flags.device)) {
    // A CDI name (vendor.com/class=name) is a device request, not a path.
    if (/^[a-z0-9.-]+\/[a-zA-Z0-9_.-]+=.+$/.test(d)) cdi.push(d);
    else devices.push(parseDevice(d));
  }
  const deviceRequests = [...(flags.gpus !== undefined ? [parseGpus(flags.gpus)] : []), ...(cdi.length > 0 ? [{ Driver: 'cdi', Count: 0, DeviceIDs: cdi, Capabilities: [], Options: {} }] : [])];
  for (const rule of list(flags.deviceCgroupRule)) {
    if (!/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(rule)) throw new FlagError(`invalid device cgroup format '${rule}'`);
  }
  const blkioWeight = int('--blkio-weight', flags.blkioWeight);
  if (blkioWeight < 0 || blkioWeight > 65535) throw new FlagError(`invalid argument "${flags.blkioWeight ?? ''}" for "--blkio-weight" flag: value out of range`);
  const hc: HostConfig = {
    Binds: orNull(splitVolumes(list(flags.volume)).binds),
    ContainerIDFile: flags.cidfile ?? '',
    LogConfig: { Type: flags.logDriver ?? '', Config: kvToMap(list(flags.logOpt)) },
    NetworkMode: networkMode,
    PortBindings: parsePublish(list(flags.publish)).bindings,
    RestartPolicy: restart,
    AutoRemove: flags.rm === true,
    VolumeDriver: flags.volumeDriver ?? '',
    VolumesFrom: orNull(flags.volumesFrom),
    ConsoleSize: ctx.consoleSize,
    CapAdd: orNull(flags.capAdd),
    CapDrop: orNull(flags.capDrop),
    CgroupnsMode: flags.cgroupns ?? '',
    Dns: list(flags.dns),
    DnsOptions: [...list(flags.dnsOption), ...list(flags.dnsOpt)],
    DnsSearch: list(flags.dnsSearch),
    ExtraHosts: orNull(list(flags.addHost).map((h) => flagValue('--add-host', h, parseExtraHost))),
    GroupAdd: orNull(flags.groupAdd),
    IpcMode: flags.ipc ?? '',
    Cgroup: '',
    Links: orNull(flags.link),
    OomScoreAdj: int('--oom-score-adj', flags.oomScoreAdj),
    PidMode: flags.pid ?? '',
    Privileged: flags.privileged === true,
    PublishAllPorts: flags.publishAll === true,
    ReadonlyRootfs: flags.readOnly === true,
    SecurityOpt: orNull(securityOpt),
    UTSMode: flags.uts ?? '',
    UsernsMode: flags.userns ?? '',
    ShmSize: bytes('--shm-size', flags.shmSize),
    Runtime: flags.runtime ?? '',
    Isolation: flags.isolation ?? '',
    CpuShares: int('--cpu-shares', flags.cpuShares),
    Memory: bytes('-m, --memory', flags.memory),
    NanoCpus: optional('--cpus', flags.cpus, parseNanoCpus, 0),
    CgroupParent: flags.cgroupParent ?? '',
    BlkioWeight: blkioWeight,
    BlkioWeightDevice: list(flags.blkioWeightDevice).map((v) => flagValue('--blkio-weight-device', v, parseWeightDevice)),
    BlkioDeviceReadBps: list(flags.deviceReadBps).map((v) => flagValue('--device-read-bps', v, (x) => parseThrottleDevice(x, 'bps'))),
    BlkioDeviceWriteBps: list(flags.deviceWriteBps).map((v) => flagValue('--device-write-bps', v, (x) => parseThrottleDevice(x, 'bps'))),
    BlkioDeviceReadIOps: list(flags.deviceReadIops).map((v) => flagValue('--device-read-iops', v, (x) => parseThrottleDevice(x, 'iops'))),
    BlkioDeviceWriteIOps: list(flags.deviceWriteIops).map((v) => flagValue('--device-write-iops', v, (x) => parseThrottleDevice(x, 'iops'))),
    CpuPeriod: int('--cpu-period', flags.cpuPeriod),
    CpuQuota: int('--cpu-quota', flags.cpuQuota),
    CpuRealtimePeriod: int('--cpu-rt-period', flags.cpuRtPeriod),
    CpuRealtimeRuntime: int('--cpu-rt-runtime', flags.cpuRtRuntime),
    CpusetCpus: flags.cpusetCpus ?? '',
    CpusetMems: flags.cpusetMems ?? '',
    Devices: devices,
    DeviceCgroupRules: orNull(flags.deviceCgroupRule),
    DeviceRequests: deviceRequests.length > 0 ? deviceRequests : null,
    MemoryReservation: bytes('--memory-reservation', flags.memoryReservation),
    MemorySwap: optional('--memory-swap', flags.memorySwap, memSwapBytes, 0),
    MemorySwappiness: swappiness,
    OomKillDisable: flags.oomKillDisable === true,
    PidsLimit: int('--pids-limit', flags.pidsLimit),
    Ulimits: list(flags.ulimit).map((u) => flagValue('--ulimit', u, parseUlimit)),
    CpuCount: int('--cpu-count', flags.cpuCount),
    CpuPercent: int('--cpu-percent', flags.cpuPercent),
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: unconfinedPaths ? [] : null,
    ReadonlyPaths: unconfinedPaths ? [] : null,
  };
  const mounts = list(flags.mount).map(parseMount);
  if (mounts.length > 0) hc.Mounts = mounts;
  if (list(flags.tmpfs).length > 0) hc.Tmpfs = parseTmpfs(list(flags.tmpfs));
  if (list(flags.sysctl).length > 0) hc.Sysctls = parseKeyValueMap(list(flags.sysctl), 'sysctl');
  if (list(flags.storageOpt).length > 0) hc.StorageOpt = parseKeyValueMap(list(flags.storageOpt), 'storage');
  if (list(flags.annotation).length > 0) hc.Annotations = parseKeyValueMap(list(flags.annotation), 'annotation');
  // Sent only when given, so the daemon can say it is ignored (docker drops it silently since API 1.42).
  if (flags.kernelMemory !== undefined) hc.KernelMemory = bytes('--kernel-memory', flags.kernelMemory);
  // Only an explicit --init is sent; otherwise the daemon's default applies.
  if (flags.init !== undefined) hc.Init = flags.init;
  return hc;
}

/** Builds the create request; throws FlagError with docker's message for a bad flag. */
export function buildCreateRequest(flags: RunFlags, image: string, args: string[], ctx: BuildContext): CreateRequest {
  const net = parseNetworking(flags);
  const config = containerConfig(flags, image, args, ctx.lookupEnv ?? hostEnv);
  const body = { ...config, HostConfig: hostConfig(flags, ctx, net.mode), NetworkingConfig: { EndpointsConfig: net.endpoints } };
  return {
    body,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
  };
}

/** `run -d` must not attach anything (docker clears the attach flags for detached runs). */
export function detachBody(req: CreateRequest): void {
  req.body.AttachStdin = false;
  req.body.AttachStdout = false;
  req.body.AttachStderr = false;
  req.body.StdinOnce = false;
}
