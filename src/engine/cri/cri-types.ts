/**
 * The CRI v1 messages the pod service reads and returns, as @grpc/proto-loader gives them
 * (field names as in api.proto, int64 as decimal strings, enums by name, absent messages null).
 * Only the fields Berth acts on are typed; the API layer passes the rest through untouched.
 */
export type Int64 = string | number;
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  target_id?: string;
}

export interface SecurityProfile {
  profile_type?: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhost_ref?: string;
}

export interface LinuxContainerResources {
  cpu_period?: Int64;
  cpu_quota?: Int64;
  cpu_shares?: Int64;
  memory_limit_in_bytes?: Int64;
  oom_score_adj?: Int64;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  memory_swap_limit_in_bytes?: Int64;
  unified?: Record<string, string>;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  hostname?: string;
  log_directory?: string;
  dns_config?: { servers?: string[]; searches?: string[]; options?: string[] } | null;
  port_mappings?: Array<{ protocol?: 'TCP' | 'UDP' | 'SCTP'; container_port?: number; host_port?: number; host_ip?: string }>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    sysctls?: Record<string, string>;
    security_context?: {
      namespace_options?: NamespaceOption | null;
      privileged?: boolean;
      readonly_rootfs?: boolean;
      run_as_user?: { value: Int64 } | null;
      run_as_group?: { value: Int64 } | null;
      supplemental_groups?: Int64[];
      seccomp?: SecurityProfile | null;
    } | null;
    resources?: LinuxContainerResources | null;
  } | null;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface CriMount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
  /** An image mounted as a volume (Kubernetes' ImageVolume). */
  image?: { image?: string } | null;
}

export interface ContainerSecurityContext {
  capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] } | null;
  privileged?: boolean;
  namespace_options?: NamespaceOption | null;
  run_as_user?: { value: Int64 } | null;
  run_as_group?: { value: Int64 } | null;
  run_as_username?: string;
  readonly_rootfs?: boolean;
  supplemental_groups?: Int64[];
  no_new_privs?: boolean;
  masked_paths?: string[];
  readonly_paths?: string[];
  seccomp?: SecurityProfile | null;
  seccomp_profile_path?: string;
}

export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: { image: string; annotations?: Record<string, string> } | null;
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: Array<{ key: string; value: string }>;
  mounts?: CriMount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources | null; security_context?: ContainerSecurityContext | null } | null;
}

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
