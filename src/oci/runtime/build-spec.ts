/**
 * buildRuntimeSpec: one container's OCI config.json, computed the way moby's createSpec
 * (daemon/oci_linux.go) computes it for `docker run`: start from docker's defaults, then
 * apply command, env, namespaces, capabilities, seccomp, mounts, limits and sysctls.
 * Pure: every host fact it needs comes in through ContainerSpecInput.
 *
 * Left to the caller, because each needs the host: device nodes for --privileged and
 * --device (`linux.devices`), the thermal_throttle masks docker adds per host CPU,
 * rootfsPropagation for shared/slave binds, AppArmor and SELinux labels, and the
 * network setup hook (Berth configures networking outside the runtime).
 */
import { InvalidParameterError } from '../../core/errors.js';
import { tweakCapabilities, DEFAULT_CAPABILITIES } from './capabilities.js';
import { containerEnv } from './container-env.js';
import type { ContainerSpecInput, HostDeviceParts, NamespaceMode } from './container-spec-input.js';
import { CONTAINER_INIT_PATH, DEFAULT_SHM_SIZE, defaultRuntimeSpec } from './default-spec.js';
import type {
  Linux,
  LinuxNamespace,
  LinuxResources,
  LinuxSeccomp,
  Mount,
  NamespaceType,
  Process,
  RuntimeSpec,
} from './runtime-spec-types.js';
import { buildSeccompSection, DOCKER_DEFAULT_SECCOMP_PROFILE, seccompNativeArch } from './seccomp-profile.js';
import { hostShmMount, mergeMounts, networkFileMounts } from './spec-mounts.js';
import { buildResources, buildRlimits } from './spec-resources.js';
import { validateSysctls } from './sysctl-validation.js';

export type * from './container-spec-input.js';

/** Namespace modes after defaults, keyed by the OCI namespace type. */
type ResolvedNamespaces = Record<Exclude<NamespaceType, 'time'>, NamespaceMode>;

/** OCI order: docker's defaults (mount, network, uts, pid, ipc), then user and cgroup as it appends them. */
const NAMESPACE_ORDER = ['mount', 'network', 'uts', 'pid', 'ipc', 'user', 'cgroup'] as const;

function resolveNamespaces(input: ContainerSpecInput): ResolvedNamespaces {
  const ns = input.namespaces ?? {};
  const ipc = ns.ipc ?? 'private';
  return {
    mount: ns.mnt ?? 'private',
    network: ns.net ?? 'private',
    uts: ns.uts ?? 'private',
    pid: ns.pid ?? 'private',
    ipc: ipc === 'none' ? 'private' : ipc,
    user: ns.user ?? 'host',
    cgroup: ns.cgroup ?? 'private',
  };
}

/** The namespace list: private ones are created, path ones joined, host ones left out. */
function namespaceList(ns: ResolvedNamespaces): LinuxNamespace[] {
  const out: LinuxNamespace[] = [];
  for (const type of NAMESPACE_ORDER) {
    const mode = ns[type];
    if (mode === 'host') continue;
    if (mode === 'private') {
      out.push({ type });
      continue;
    }
    if (!mode.path.startsWith('/')) {
      throw new InvalidParameterError(`invalid ${type} namespace path: ${JSON.stringify(mode.path)} is not absolute`);
    }
    out.push({ type, path: mode.path });
  }
  return out;
}

function checkInput(input: ContainerSpecInput, ns: ResolvedNamespaces): void {
  if (input.args.length === 0) throw new InvalidParameterError('No command specified');
  if (!input.rootfsPath) throw new InvalidParameterError('rootfs path is empty');
  // The runtime cannot mask /proc paths or pivot into the rootfs inside the host's mount namespace.
  if (ns.mount === 'host') throw new InvalidParameterError('a container cannot share the host mount namespace');
  if (ns.user === 'private' && (!input.uidMappings?.length || !input.gidMappings?.length)) {
    throw new InvalidParameterError('a private user namespace needs uid and gid mappings');
  }
}

/** With `--init` (and its own pid namespace) docker's init runs first and execs the command. */
function initArgs(input: ContainerSpecInput, ns: ResolvedNamespaces): { args: string[]; mount?: Mount } {
  if (input.init === undefined || ns.pid !== 'private') return { args: [...input.args] };
  return {
    args: [CONTAINER_INIT_PATH, '--', ...input.args],
    mount: { destination: CONTAINER_INIT_PATH, type: 'bind', source: input.init, options: ['bind', 'ro'] },
  };
}

function buildProcess(input: ContainerSpecInput, args: string[], caps: string[]): Process {
  const tty = input.tty ?? false;
  const user: Process['user'] = { uid: input.user.uid, gid: input.user.gid };
  if (input.user.umask !== undefined) user.umask = input.user.umask;
  if (input.user.additionalGids?.length) user.additionalGids = [...input.user.additionalGids];

  const size = input.consoleSize;
  const proc: Process = {
    // Key order as runtime-spec's Go struct, so the file reads like docker's.
    ...(tty ? { terminal: true } : {}),
    ...(tty && size && (size.height > 0 || size.width > 0)
      ? { consoleSize: { height: size.height, width: size.width } }
      : {}),
    user,
    args,
    env: containerEnv(input.env ?? [], input.hostname ?? '', tty),
    cwd: input.cwd || '/',
  };
  proc.capabilities = { bounding: caps, effective: [...caps], permitted: [...caps] };
  const rlimits = buildRlimits(input.ulimits ?? []);
  if (rlimits.length > 0) proc.rlimits = rlimits;
  if (input.noNewPrivileges) proc.noNewPrivileges = true;
  if (input.apparmorProfile) proc.apparmorProfile = input.apparmorProfile;
  // Docker always writes oomScoreAdj, 0 included, so the runtime does not inherit the daemon's.
  proc.oomScoreAdj = input.oomScoreAdj ?? 0;
  return proc;
}

function seccompFor(input: ContainerSpecInput, caps: string[]): LinuxSeccomp | undefined {
  const choice = input.seccomp ?? 'default';
  // A privileged container runs unconfined whatever profile was asked for, as in docker.
  if (input.privileged || choice === 'unconfined') return undefined;
  const profile = choice === 'default' ? DOCKER_DEFAULT_SECCOMP_PROFILE : choice;
  return buildSeccompSection(profile, {
    arch: input.arch ?? seccompNativeArch(process.arch),
    capabilities: caps,
    ...(input.kernelRelease === undefined ? {} : { kernelRelease: input.kernelRelease }),
  });
}

/**
 * kernel.domainname carries --domainname (the spec's `domainname` field is newer than
 * some runtimes); in a private network namespace docker also lets unprivileged users
 * ping and bind ports below 1024. The user's --sysctl values win.
 */
function sysctlsFor(input: ContainerSpecInput, ns: ResolvedNamespaces): Record<string, string> {
  const sysctl: Record<string, string> = {};
  if (input.domainname) sysctl['kernel.domainname'] = input.domainname;
  if (ns.network === 'private' && (input.defaultNetworkSysctls ?? true)) {
    // ICMP sockets for every group cannot be granted from inside a user namespace.
    if (ns.user === 'host') sysctl['net.ipv4.ping_group_range'] = `0 ${input.pingGroupMax ?? 2147483647}`;
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(sysctl, input.sysctls ?? {});
  validateSysctls(sysctl, { ipc: ns.ipc !== 'host', network: ns.network !== 'host', uts: ns.uts !== 'host' });
  return sysctl;
}

function mountsFor(input: ContainerSpecInput, ns: ResolvedNamespaces, initMount: Mount | undefined): Mount[] {
  const spec = defaultRuntimeSpec();
  const readonlyRootfs = input.readonlyRootfs ?? false;
  const user = [...(input.mounts ?? [])];
  const userDest = new Set(user.map((m) => m.destination));
  if (ns.ipc === 'host' && !userDest.has('/dev/shm')) user.push(hostShmMount());
  user.push(...networkFileMounts(input, readonlyRootfs, userDest));
  return mergeMounts({
    defaults: initMount ? [...spec.mounts, initMount] : spec.mounts,
    user,
    shmSize: input.shmSize ?? DEFAULT_SHM_SIZE,
    noShm: input.namespaces?.ipc === 'none',
    readonlyRootfs,
    privileged: input.privileged ?? false,
    userNamespace: ns.user !== 'host',
  });
}

/** Builds the config.json for one container. Throws InvalidParameterError for settings docker refuses. */
export function buildRuntimeSpec(input: ContainerSpecInput): RuntimeSpec {
  const ns = resolveNamespaces(input);
  checkInput(input, ns);
  const privileged = input.privileged ?? false;
  const caps = tweakCapabilities(DEFAULT_CAPABILITIES, {
    add: input.capAdd ?? [],
    drop: input.capDrop ?? [],
    privileged,
    ...(input.availableCapabilities ? { available: input.availableCapabilities } : {}),
  });
  const { args, mount: initMount } = initArgs(input, ns);
  const defaults = defaultRuntimeSpec();
  const userNs = ns.user !== 'host';
  const sysctl = sysctlsFor(input, ns);
  const seccomp = seccompFor(input, caps);
  // Privileged drops the default masks; explicit paths (systempaths=unconfined sends []) win over both.
  const masked = input.maskedPaths ?? (privileged ? [] : (defaults.linux.maskedPaths ?? []));
  const readonly = input.readonlyPaths ?? (privileged ? [] : (defaults.linux.readonlyPaths ?? []));

  // Built in runtime-spec's Go field order, so the file reads like the one docker writes.
  const linux: Linux = {
    ...(userNs && input.uidMappings?.length ? { uidMappings: input.uidMappings.map((m) => ({ ...m })) } : {}),
    ...(userNs && input.gidMappings?.length ? { gidMappings: input.gidMappings.map((m) => ({ ...m })) } : {}),
    ...(Object.keys(sysctl).length > 0 ? { sysctl } : {}),
    resources: withHostDevices(buildResources(input.resources ?? {}, privileged, input.deviceCgroupRules ?? []), privileged, input.hostDevices),
    ...(input.cgroupsPath ? { cgroupsPath: input.cgroupsPath } : {}),
    namespaces: namespaceList(ns),
    ...(input.hostDevices && input.hostDevices.devices.length > 0 ? { devices: input.hostDevices.devices.map((d) => ({ ...d })) } : {}),
    ...(seccomp ? { seccomp } : {}),
    ...(masked.length > 0 ? { maskedPaths: [...masked] } : {}),
    ...(readonly.length > 0 ? { readonlyPaths: [...readonly] } : {}),
  };
  return {
    ociVersion: defaults.ociVersion,
    process: buildProcess(input, args, caps),
    root: input.readonlyRootfs ? { path: input.rootfsPath, readonly: true } : { path: input.rootfsPath },
    // The uts namespace carries the hostname: with the host's, there is nothing to set.
    ...(input.hostname && ns.uts !== 'host' ? { hostname: input.hostname } : {}),
    mounts: mountsFor(input, ns, initMount),
    ...(input.annotations && Object.keys(input.annotations).length > 0
      ? { annotations: { ...input.annotations } }
      : {}),
    linux,
  };
}

/** The host's device parts in the resources: `--device`'s cgroup rules (privileged allows all already) and blkio per device. */
function withHostDevices(resources: LinuxResources, privileged: boolean, parts: HostDeviceParts | undefined): LinuxResources {
  if (!parts) return resources;
  if (!privileged && parts.rules.length > 0) resources.devices = [...(resources.devices ?? []), ...parts.rules];
  const perDevice = Object.entries(parts.blockIO).filter(([, list]) => Array.isArray(list) && list.length > 0);
  if (perDevice.length > 0) resources.blockIO = { ...(resources.blockIO ?? {}), ...Object.fromEntries(perDevice) };
  return resources;
}
