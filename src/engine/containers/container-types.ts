import type { ContainerNetworking } from '../networks/network-types.js';
import type { MountPoint } from './mount-plan.js';

/** Container shapes as the Engine API shows them (docker's field names), kept in the record. */

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface HostConfig {
  Binds: string[] | null;
  NetworkMode: string;
  PortBindings: Record<string, unknown>;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  ExtraHosts: string[] | null;
  IpcMode: string;
  PidMode: string;
  UTSMode: string;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  Runtime: string;
  ConsoleSize: [number, number];
  Init?: boolean | null;
  Memory: number;
  NanoCpus: number;
  CpuShares: number;
  PidsLimit: number | null;
  Ulimits: Array<{ Name: string; Soft: number; Hard: number }> | null;
  Sysctls?: Record<string, string>;
  LogConfig: { Type: string; Config: Record<string, string> };
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
