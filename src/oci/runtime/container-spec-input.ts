/**
 * What buildRuntimeSpec needs to know about one container. The engine resolves names
 * first (user → uid/gid, image + user env, entrypoint + cmd, daemon default ulimits,
 * --memory-swap default of twice --memory, bind/volume/tmpfs specs → OCI mounts), so
 * everything here is final and the builder does no I/O.
 */
import type { IdMapping, LinuxBlockIo, LinuxDevice, LinuxDeviceCgroup, Mount } from './runtime-spec-types.js';
import type { DockerSeccompProfile } from './seccomp-profile-parse.js';

/** Create the namespace, share the host's, or join an existing one (/proc/<pid>/ns/<type>). */
export type NamespaceMode = 'private' | 'host' | { path: string };

/** `--ipc none`: a private namespace without /dev/shm. */
export type IpcNamespaceMode = NamespaceMode | 'none';

/**
 * Unset entries take docker's defaults: pid, ipc, uts, net and mnt private; user host;
 * cgroup private (docker's default on cgroup v2; pass 'host' on a cgroup v1 host).
 */
export interface ContainerNamespaces {
  pid?: NamespaceMode;
  ipc?: IpcNamespaceMode;
  uts?: NamespaceMode;
  net?: NamespaceMode;
  mnt?: NamespaceMode;
  user?: NamespaceMode;
  cgroup?: NamespaceMode;
}

/** HostConfig resource fields, in the API's units (bytes, CPU shares, µs, nano-CPUs). */
export interface ContainerResources {
  memory?: number;
  /** Memory + swap; -1 for unlimited swap. */
  memorySwap?: number;
  memoryReservation?: number;
  /** 0–100; -1 or unset keeps the host default. */
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  /** `--cpus` × 1e9; becomes quota over a 100 ms period. */
  nanoCpus?: number;
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** 0 or negative removes the limit. */
  pidsLimit?: number;
  blkioWeight?: number;
}

/** `--ulimit nofile=1024:2048`; -1 means unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface ContainerUser {
  uid: number;
  gid: number;
  /** Written as given; docker's resolver lists the primary gid first, then supplementary groups. */
  additionalGids?: readonly number[];
  umask?: number;
}

export interface ContainerSpecInput {
  /** Absolute path of the prepared root filesystem. */
  rootfsPath: string;
  /** Entrypoint + cmd, already merged. Must not be empty. */
  args: readonly string[];
  /** Image env merged with the user's (KEY=VALUE); PATH, HOSTNAME and TERM are added as docker does. */
  env?: readonly string[];
  /** Working directory; "/" when unset or empty. */
  cwd?: string;
  user: ContainerUser;
  tty?: boolean;
  consoleSize?: { height: number; width: number };
  hostname?: string;
  domainname?: string;
  namespaces?: ContainerNamespaces;
  /** Required when namespaces.user is 'private'. */
  uidMappings?: readonly IdMapping[];
  gidMappings?: readonly IdMapping[];
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** Capabilities the host grants; default all known (see capabilities.ts). */
  availableCapabilities?: readonly string[];
  privileged?: boolean;
  readonlyRootfs?: boolean;
  noNewPrivileges?: boolean;
  /** AppArmor profile name (`--security-opt apparmor=NAME`), only where the host has AppArmor. */
  apparmorProfile?: string;
  /** Default 'default'. */
  seccomp?: 'default' | 'unconfined' | DockerSeccompProfile;
  /** libseccomp arch name ('amd64', 'arm64'…); default: the arch Node runs on. */
  arch?: string;
  /** Host kernel release (os.release()) for seccomp minKernel rules; unset assumes a current kernel. */
  kernelRelease?: string;
  cgroupsPath?: string;
  resources?: ContainerResources;
  /** `--device-cgroup-rule` values ("c 42:* rmw"). Ignored when privileged. */
  deviceCgroupRules?: readonly string[];
  /**
   * What the host's device nodes say, looked up by the caller: the nodes to create (every host
   * device for privileged, else `--device`'s), the cgroup rules that let them be used, and the
   * blkio per-device weights and throttles (by major:minor).
   */
  hostDevices?: HostDeviceParts;
  ulimits?: readonly Ulimit[];
  sysctls?: Readonly<Record<string, string>>;
  /**
   * docker sets net.ipv4.ping_group_range and ip_unprivileged_port_start in a private
   * network namespace so unprivileged ping and low ports work. Default true; turn off for
   * kernels older than 4.11, which lack ip_unprivileged_port_start (runc fails on a
   * sysctl that does not exist).
   */
  defaultNetworkSysctls?: boolean;
  /** The highest group ID ping_group_range may name: a rootless daemon's user namespace maps only 0..65536. */
  pingGroupMax?: number;
  /** Binds, volumes and tmpfs mounts, already in OCI form. They replace defaults at the same destination. */
  mounts?: readonly Mount[];
  /** Replace the default masked/read-only paths (`--security-opt systempaths=unconfined` sends []). */
  maskedPaths?: readonly string[];
  readonlyPaths?: readonly string[];
  /** Bytes; default 64 MiB. */
  shmSize?: number;
  /** Host path of the init binary when `--init` is set; used only with a private pid namespace. */
  init?: string;
  oomScoreAdj?: number;
  /** Host files bind-mounted at /etc/hosts, /etc/resolv.conf and /etc/hostname when given. */
  hostsFile?: string;
  resolvConf?: string;
  hostnameFile?: string;
  annotations?: Readonly<Record<string, string>>;
}

export interface HostDeviceParts {
  devices: LinuxDevice[];
  /** Added to the device cgroup's rules (not for privileged, which allows all). */
  rules: LinuxDeviceCgroup[];
  blockIO: Omit<LinuxBlockIo, 'weight'>;
}
