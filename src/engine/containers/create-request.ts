import { isIP } from 'node:net';
import { InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import type { ImageConfig } from '../../oci/image-types.js';
import type { ContainerConfig, HostConfig } from './container-types.js';
import { validateRestartPolicy } from './restart-policy.js';
import { validateLogConfig } from './log-config.js';
import { resolveHealthcheck } from './health/health-config.js';
import { healthOnFailure } from '../../core/health-on-failure.js';

/** The body of `POST /containers/create`: Config fields at the top, plus HostConfig. */
export interface CreateRequest {
  [key: string]: unknown;
  HostConfig?: Record<string, unknown>;
  NetworkingConfig?: unknown;
}

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw new InvalidParameterError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

/** HostConfig keys Berth honours now; any other key set to a non-zero value is refused, never ignored. */
export const SUPPORTED_HOST_KEYS: ReadonlySet<string> = new Set([
  'AutoRemove', 'CapAdd', 'CapDrop', 'ConsoleSize', 'Init', 'IpcMode', 'PidMode', 'UTSMode', 'Privileged',
  'ReadonlyRootfs', 'SecurityOpt', 'Runtime', 'Memory', 'NanoCpus', 'CpuShares', 'PidsLimit', 'Ulimits', 'Sysctls',
  'NetworkMode', 'RestartPolicy', 'LogConfig', 'ExtraHosts', 'GroupAdd', 'OomScoreAdj', 'ShmSize', 'CgroupnsMode',
  'Binds', 'Mounts', 'Tmpfs', 'VolumesFrom', 'PortBindings', 'PublishAllPorts', 'Dns', 'DnsSearch', 'DnsOptions',
  // Limits and security: checked in limits/create-checks.ts.
  'MemorySwap', 'MemoryReservation', 'MemorySwappiness', 'KernelMemory', 'KernelMemoryTCP', 'OomKillDisable', 'CpuPeriod',
  'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'CpuPercent', 'BlkioWeight', 'BlkioWeightDevice',
  'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'IOMaximumBandwidth', 'IOMaximumIOps',
  'Devices', 'DeviceCgroupRules', 'MaskedPaths', 'ReadonlyPaths', 'CgroupParent',
  // Checked in refuseUnsupported: only what a Linux dockerd without plugins takes.
  'Isolation', 'VolumeDriver', 'UsernsMode',
  // Kept as given, as dockerd keeps them: the CLI writes the ID file itself; CPU count is Windows'.
  'ContainerIDFile', 'CpuCount',
  // Resolved in legacy-links.ts.
  'Links',
]);
export const SUPPORTED_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin',
  'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal',
  'StopTimeout', 'ArgsEscaped', 'NetworkDisabled', 'MacAddress', 'Healthcheck', 'HostConfig', 'NetworkingConfig',
  // docker-py before 6 sends `runtime=` here instead of in HostConfig; resolveCreate moves it there.
  'Runtime',
]);
export const WHY_LATER: Readonly<Record<string, string>> = {};

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return false;
}

function refuseUnsupported(body: CreateRequest, host: Record<string, unknown>): void {
  const isolation = host.Isolation;
  if (!isZero(isolation) && isolation !== 'default') {
    throw new InvalidParameterError(`invalid isolation: ${JSON.stringify(isolation)} - linux only supports 'default'`);
  }
  // A volume driver matters only to volumes the container makes; `local` is the only one here.
  const driver = host.VolumeDriver;
  const makesVolumes = Object.keys((body.Volumes as object | null | undefined) ?? {}).length > 0 || (strings(host.Binds, 'HostConfig.Binds') ?? []).some((b) => !b.startsWith('/'));
  if (typeof driver === 'string' && driver !== '' && driver !== 'local' && makesVolumes) {
    throw new NotFoundError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  }
  // Without user-namespace remapping (Berth has none) "host" is what every container gets.
  if (!isZero(host.UsernsMode) && host.UsernsMode !== 'host') {
    throw new NotImplementedError(`HostConfig.UsernsMode ${JSON.stringify(host.UsernsMode)} is not supported by this Berth version: it has no user-namespace remapping, every container uses the host's ("host")`);
  }
  for (const [key, value] of Object.entries(body)) {
    if (!SUPPORTED_CONFIG_KEYS.has(key) && !isZero(value)) throw new NotImplementedError(`container option ${key} is not supported by this Berth version`);
  }
  for (const [key, value] of Object.entries(host)) {
    // The docker CLI sends -1 for "leave the host's swappiness".
    if (SUPPORTED_HOST_KEYS.has(key) || isZero(value) || (key === 'MemorySwappiness' && value === -1)) continue;
    throw new NotImplementedError(`HostConfig.${key} is not supported by this Berth version yet${WHY_LATER[key] ? `: ${WHY_LATER[key]}` : ''}`);
  }
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidParameterError(`${field} must be a list of strings`);
  return v as string[];
}

/** `KEY=VALUE` lists merged by key: later wins, as docker merges image and container env. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const e of overrides) {
    const key = e.split('=', 1)[0] as string;
    const i = out.findIndex((x) => x.split('=', 1)[0] === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/**
 * A new container's env as dockerd's merge (daemon/commit.go) makes it: the request's own, as
 * given and first, then each of the image's whose key the request does not set.
 */
export function containerEnv(image: readonly string[], request: readonly string[]): string[] {
  if (request.length === 0) return [...image];
  const keys = new Set(request.map((e) => e.split('=', 1)[0]));
  return [...request, ...image.filter((e) => !keys.has(e.split('=', 1)[0]))];
}

export interface ResolvedCreate {
  config: ContainerConfig;
  hostConfig: HostConfig;
  path: string;
  args: string[];
}

/** Merges the request with the image config exactly as docker does, and checks it. */
/** `logDefaults`: the daemon's json-file options, filled into a container's own (log-config.ts). */
export function resolveCreate(body: CreateRequest, imageName: string, image: ImageConfig, logDefaults: Readonly<Record<string, string>> = {}): ResolvedCreate {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('container config must be a JSON object');
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  refuseUnsupported(body, host);
  const ic = image.config ?? {};
  const userEntrypoint = strings(body.Entrypoint, 'Entrypoint');
  const userCmd = strings(body.Cmd, 'Cmd');
  let entrypoint = userEntrypoint ?? ic.Entrypoint ?? null;
  // `--entrypoint ""` resets the image's entrypoint; a new entrypoint drops the image's cmd.
  if (userEntrypoint && userEntrypoint.length === 1 && userEntrypoint[0] === '') entrypoint = null;
  const cmd = userCmd ?? (userEntrypoint ? null : (ic.Cmd ?? null));
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new InvalidParameterError('no command specified');
  const env = containerEnv(ic.Env ?? [], strings(body.Env, 'Env') ?? []);
  const labels = { ...(ic.Labels ?? {}), ...((body.Labels as Record<string, string> | undefined) ?? {}) };
  // Refused now rather than found wrong when the container first turns unhealthy.
  healthOnFailure(labels);
  const stopTimeout = body.StopTimeout;
  if (stopTimeout !== undefined && stopTimeout !== null && !Number.isInteger(stopTimeout)) throw new InvalidParameterError('StopTimeout must be an integer');
  const consoleSize = (host.ConsoleSize as [number, number] | undefined) ?? [0, 0];
  const config: ContainerConfig = {
    Hostname: typeof body.Hostname === 'string' ? body.Hostname : '',
    Domainname: typeof body.Domainname === 'string' ? body.Domainname : '',
    User: typeof body.User === 'string' && body.User !== '' ? body.User : (ic.User ?? ''),
    AttachStdin: body.AttachStdin === true,
    AttachStdout: body.AttachStdout === true,
    AttachStderr: body.AttachStderr === true,
    ...(body.ExposedPorts || ic.ExposedPorts ? { ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...((body.ExposedPorts as object | undefined) ?? {}) } } : {}),
    Tty: body.Tty === true,
    OpenStdin: body.OpenStdin === true,
    StdinOnce: body.StdinOnce === true,
    Env: env,
    Cmd: cmd,
    Image: imageName,
    // docker merges the image's VOLUMEs with the request's (`-v /path` lands here).
    Volumes: body.Volumes || ic.Volumes ? { ...(ic.Volumes ?? {}), ...((body.Volumes as Record<string, object> | null | undefined) ?? {}) } : null,
    WorkingDir: typeof body.WorkingDir === 'string' && body.WorkingDir !== '' ? body.WorkingDir : (ic.WorkingDir ?? ''),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(typeof body.StopSignal === 'string' && body.StopSignal !== '' ? { StopSignal: body.StopSignal } : ic.StopSignal ? { StopSignal: ic.StopSignal } : {}),
    ...(typeof stopTimeout === 'number' ? { StopTimeout: stopTimeout } : {}),
    ...resolveHealthcheck(body.Healthcheck, ic.Healthcheck),
  };
  if (config.WorkingDir !== '' && !config.WorkingDir.startsWith('/')) {
    throw new InvalidParameterError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  const hostConfig: HostConfig = {
    ...host,
    Binds: strings(host.Binds, 'HostConfig.Binds') ?? null,
    NetworkMode: body.NetworkDisabled === true ? 'none' : ['', 'default'].includes(String(host.NetworkMode ?? '')) ? 'bridge' : String(host.NetworkMode),
    PortBindings: (host.PortBindings as Record<string, unknown> | null | undefined) ?? {},
    PublishAllPorts: host.PublishAllPorts === true,
    Dns: strings(host.Dns, 'HostConfig.Dns') ?? [],
    DnsSearch: strings(host.DnsSearch, 'HostConfig.DnsSearch') ?? [],
    DnsOptions: strings(host.DnsOptions, 'HostConfig.DnsOptions') ?? [],
    RestartPolicy: validateRestartPolicy(host.RestartPolicy, host.AutoRemove === true),
    AutoRemove: host.AutoRemove === true,
    CapAdd: strings(host.CapAdd, 'HostConfig.CapAdd') ?? null,
    CapDrop: strings(host.CapDrop, 'HostConfig.CapDrop') ?? null,
    ExtraHosts: strings(host.ExtraHosts, 'HostConfig.ExtraHosts') ?? null,
    IpcMode: String(host.IpcMode ?? '') || 'private',
    PidMode: String(host.PidMode ?? ''),
    UTSMode: String(host.UTSMode ?? ''),
    Privileged: host.Privileged === true,
    ReadonlyRootfs: host.ReadonlyRootfs === true,
    SecurityOpt: strings(host.SecurityOpt, 'HostConfig.SecurityOpt') ?? null,
    Runtime: typeof host.Runtime === 'string' && host.Runtime !== '' ? host.Runtime : typeof body.Runtime === 'string' ? body.Runtime : '',
    ConsoleSize: consoleSize,
    Init: host.Init === true ? true : null,
    Memory: Number(host.Memory ?? 0),
    NanoCpus: Number(host.NanoCpus ?? 0),
    CpuShares: Number(host.CpuShares ?? 0),
    PidsLimit: host.PidsLimit === undefined || host.PidsLimit === null ? null : Number(host.PidsLimit),
    Ulimits: (host.Ulimits as HostConfig['Ulimits']) ?? null,
    LogConfig: validateLogConfig(host.LogConfig, logDefaults),
  };
  for (const ip of hostConfig.Dns as string[]) if (isIP(ip) === 0) throw new InvalidParameterError(`invalid --dns "${ip}": it must be an IP address`);
  if (hostConfig.NetworkMode.startsWith('container:')) {
    if (config.Hostname !== '' || config.Domainname !== '') throw new InvalidParameterError('conflicting options: hostname and the network mode');
    if ((hostConfig.Dns as string[]).length > 0 || (hostConfig.ExtraHosts ?? []).length > 0) throw new InvalidParameterError('conflicting options: dns and the network mode');
    if (Object.keys(hostConfig.PortBindings).length > 0 || hostConfig.PublishAllPorts) throw new InvalidParameterError('conflicting options: port publishing and the container type network mode');
  }
  if (hostConfig.NetworkMode === 'host' && (Object.keys(hostConfig.PortBindings).length > 0 || hostConfig.PublishAllPorts)) {
    // docker warns and ignores: a host-network container's ports are the host's.
    hostConfig.PortBindings = {};
    hostConfig.PublishAllPorts = false;
  }
  for (const [k, v] of [['IpcMode', hostConfig.IpcMode], ['PidMode', hostConfig.PidMode], ['UTSMode', hostConfig.UTSMode]] as const) {
    // container:<name or ID> (IPC and PID) is checked against its donor by adaptSharedNamespaces.
    const ok = k === 'IpcMode' ? ['private', 'host', 'none', 'shareable'].includes(v) || v.startsWith('container:') : ['', 'host'].includes(v) || (k === 'PidMode' && v.startsWith('container:'));
    if (!ok) throw new NotImplementedError(`HostConfig.${k} "${v}" is not supported by this Berth version yet`);
  }
  return { config, hostConfig, path: argv[0] as string, args: argv.slice(1) };
}
