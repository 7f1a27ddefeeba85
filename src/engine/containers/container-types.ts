import type { ContainerNetworking } from '../networks/network-types.js';
import type { MountPoint } from './mount-plan.js';
import type { ContainerConfig as WireContainerConfig, HostConfig as WireHostConfig, Ulimit } from '../../api/types/container.js';

/** Container shapes as the Engine API shows them (docker's field names), kept in the record. */

/**
 * The wire's ContainerConfig (api/types) as the record keeps it, normalized at create: Env is
 * always a list; image-given fields (OnBuild, ArgsEscaped, a health check in any form) kept as
 * they came.
 */
export interface ContainerConfig extends Omit<WireContainerConfig, 'Env' | 'Healthcheck' | 'OnBuild' | 'ExposedPorts' | 'Volumes'> {
  Env: string[];
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  OnBuild: string[] | null;
  ExposedPorts?: Record<string, object>;
  Volumes: Record<string, object> | null;
}

/**
 * The wire's HostConfig as the record keeps it: the fields the engine reads typed as on the wire,
 * and whatever else a client sent kept as it came (inspect shows it back), as dockerd does.
 */
export interface HostConfig
  extends Pick<
    WireHostConfig,
    | 'Binds' | 'NetworkMode' | 'RestartPolicy' | 'AutoRemove' | 'CapAdd' | 'CapDrop' | 'ExtraHosts' | 'IpcMode' | 'PidMode' | 'UTSMode' | 'Privileged'
    | 'ReadonlyRootfs' | 'SecurityOpt' | 'Runtime' | 'ConsoleSize' | 'Memory' | 'NanoCpus' | 'CpuShares' | 'Sysctls' | 'LogConfig'
  > {
  PortBindings: Record<string, unknown>;
  Init?: boolean | null;
  PidsLimit: number | null;
  Ulimits: Ulimit[] | null;
  [key: string]: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Only for containers with a health check (docker's shape). */
  Health?: HealthState;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  /** The last 5 probes. */
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

/** What the daemon keeps per container (`<data-root>/containers/<id>/container.json`). */
export interface ContainerRecord {
  Id: string;
  Created: string;
  /** With docker's leading slash. */
  Name: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** The image ID the container was made from. */
  Image: string;
  State: ContainerState;
  Driver: string;
  RestartCount: number;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  ExecIDs: string[] | null;
  /** Binds, volumes and tmpfs in docker's inspect shape (absent in records made before volumes). */
  Mounts?: MountPoint[];
  /** docker's HasBeenManuallyStopped: the user stopped or killed it, so no restart policy applies. */
  HasBeenManuallyStopped?: boolean;
  /** Why the last run ended, in words, with its last log lines (Berth's own inspect field). */
  LastExit?: ExitExplanation;
  /** Networks joined, addresses and published ports (absent in records made before networking). */
  NetworkSettings?: ContainerNetworking;
  /** Legacy links to other containers on the default bridge (HostConfig.Links, resolved at create). */
  LegacyLinks?: LegacyLink[];
  /**
   * A container of a Kubernetes pod (made through the CRI): at each start it joins the pod
   * sandbox's namespaces and /dev/shm, and its log (at LogPath) is in the CRI format.
   */
  Pod?: PodMembership;
}

/** What the CRI said of a pod's container that docker's fields do not hold. */
export interface PodMembership {
  SandboxId: string;
  /** The CRI metadata: the container's name in the pod and its attempt. */
  Name: string;
  Attempt: number;
  Annotations: Record<string, string>;
  /** The image as the kubelet named it (ContainerStatus.image). */
  Image: string;
}

/** One legacy link of a parent: the child by ID (a rename does not break it) and the parent's alias for it. */
export interface LegacyLink {
  Id: string;
  /** The child's name when linked, for messages once it is gone. */
  Name: string;
  Alias: string;
}

export interface ExitExplanation {
  /** exited | signal | oom | unhealthy | stopped | killed | daemon-lost | start-failed */
  Reason: string;
  Message: string;
  ExitCode: number;
  Signal: string | null;
  OOMKilled: boolean;
  FinishedAt: string;
  /** The last lines the container wrote (at most 10). */
  LastLogLines: string[];
  /** The most memory the run used, in bytes, read from its cgroup at exit (absent when unknown). */
  PeakMemory?: number;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}
