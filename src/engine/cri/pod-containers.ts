/**
 * The containers of Kubernetes pods (CRI CreateContainer … ContainerStats). Each is an engine
 * container like `docker create` makes — the same image store, spec building, monitor, restore
 * after a daemon restart — with `Pod` in its record: at start it joins its sandbox's namespaces
 * (engine/containers/start-bundle.ts) and its log is in the CRI format at the kubelet's path.
 * So `docker ps` shows pod containers (named k8s_… as dockershim named them), and CRI lists
 * only those.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Socket } from 'node:net';
import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError, NotModifiedError, TimeoutError, errorMessage } from '../../core/errors.js';
import type { CgroupSample } from '../../drivers/cgroups/cgroup-stats.js';
import type { ContainerRecord } from '../containers/container-types.js';
import type { ContainerRegistry } from '../containers/container-registry.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ExecService } from '../containers/exec-service.js';
import { recordCgroupPath, type HostSpecFacts } from '../containers/spec-input.js';
import type { ContainerConfig, ContainerState, ContainerSecurityContext, LinuxContainerResources } from './cri-types.js';
import { isoToNs, nowNs } from './cri-time.js';
import type { PodSandboxes, SandboxRecord } from './pod-sandboxes.js';

export interface PodContainersDeps {
  containers: ContainerService;
  registry: ContainerRegistry;
  execs: ExecService;
  sandboxes: PodSandboxes;
  host: HostSpecFacts;
}

/** The label that tells a pod's container in `docker ps` (`--filter label=io.berth.cri.sandbox-id`); the CRI does not show it. */
export const SANDBOX_LABEL = 'io.berth.cri.sandbox-id';

/** A pod container's labels as the kubelet gave them (without Berth's own). */
export function criLabels(r: ContainerRecord): Record<string, string> {
  const { [SANDBOX_LABEL]: _sandbox, ...labels } = r.Config.Labels ?? {};
  return labels;
}

const num = (v: string | number | undefined | null): number => (v === undefined || v === null || v === '' ? 0 : Number(v));

/** CRI resources in docker's HostConfig fields (same units: bytes, shares, µs). */
export function resourceFields(res: LinuxContainerResources | null | undefined): Record<string, unknown> {
  if (!res) return {};
  const out: Record<string, unknown> = {};
  if (num(res.cpu_period) > 0) out.CpuPeriod = num(res.cpu_period);
  if (num(res.cpu_quota) > 0) out.CpuQuota = num(res.cpu_quota);
  if (num(res.cpu_shares) > 0) out.CpuShares = num(res.cpu_shares);
  if (num(res.memory_limit_in_bytes) > 0) out.Memory = num(res.memory_limit_in_bytes);
  if (num(res.memory_swap_limit_in_bytes) > 0) out.MemorySwap = num(res.memory_swap_limit_in_bytes);
  if (res.cpuset_cpus) out.CpusetCpus = res.cpuset_cpus;
  if (res.cpuset_mems) out.CpusetMems = res.cpuset_mems;
  return out;
}

/** The seccomp `--security-opt` a CRI profile stands for (an absent profile is Unconfined, as in containerd). */
async function seccompOpt(sc: ContainerSecurityContext): Promise<string | undefined> {
  const p = sc.seccomp;
  if (!p) {
    if (!sc.seccomp_profile_path || sc.seccomp_profile_path === 'unconfined') return 'seccomp=unconfined';
    if (sc.seccomp_profile_path === 'runtime/default' || sc.seccomp_profile_path === 'docker/default') return undefined;
    return `seccomp=${await readProfile(sc.seccomp_profile_path.replace(/^localhost\//, ''))}`;
  }
  if (p.profile_type === 'Unconfined') return 'seccomp=unconfined';
  if (p.profile_type === 'Localhost') return `seccomp=${await readProfile(p.localhost_ref ?? '')}`;
  return undefined;
}

async function readProfile(path: string): Promise<string> {
  if (!isAbsolute(path)) throw new InvalidParameterError(`seccomp profile "${path}" must be an absolute path on the node`);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidParameterError(`cannot read the seccomp profile ${path}: ${errorMessage(err)}`);
  }
}

function userOf(sc: ContainerSecurityContext): string {
  // As containerd: a group alone would leave the image's user with a group it does not expect.
  if (sc.run_as_group && !sc.run_as_user && !sc.run_as_username) throw new InvalidParameterError('run_as_group needs run_as_user or run_as_username in the container\'s security context');
  const group = sc.run_as_group ? `:${num(sc.run_as_group.value)}` : '';
  if (sc.run_as_user) return `${num(sc.run_as_user.value)}${group}`;
  if (sc.run_as_username) return `${sc.run_as_username}${group}`;
  return '';
}

/** The docker name dockershim gave pod containers: what `docker ps` shows. */
function dockerName(c: ContainerConfig, s: SandboxRecord): string {
  const m = s.metadata;
  return `k8s_${c.metadata?.name}_${m.name}_${m.namespace}_${m.uid}_${c.metadata?.attempt ?? 0}`;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Reads a non-TTY exec's docker frames apart (8-byte header: stream, 3 zero bytes, size). */
async function collectStreams(socket: Socket, limit: number): Promise<{ stdout: Buffer; stderr: Buffer }> {
  let pending = Buffer.alloc(0);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  for await (const chunk of socket) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 8) {
      const n = pending.readUInt32BE(4);
      if (pending.length < 8 + n) break;
      const payload = pending.subarray(8, 8 + n);
      if (size < limit) (pending[0] === 2 ? err : out).push(Buffer.from(payload));
      size += n;
      pending = pending.subarray(8 + n);
    }
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** At most this much output of an ExecSync is kept (the kubelet's probes cap theirs at 16 KiB). */
const EXEC_SYNC_LIMIT = 16 * 1024 * 1024;

export class PodContainers {
  constructor(private readonly d: PodContainersDeps) {}

  all(): ContainerRecord[] {
    return this.d.registry.all().filter((r) => r.Pod !== undefined);
  }

  /** A pod container by ID or unique prefix; Docker's own containers are not found here. */
  get(ref: string): ContainerRecord {
    const r = this.d.registry.find(ref);
    if (!r || !r.Pod || ref === '') throw new NotFoundError(`container ${ref} not found (among the containers of pods)`);
    return r;
  }

  find(ref: string): ContainerRecord | undefined {
    const r = ref === '' ? undefined : this.d.registry.find(ref);
    return r?.Pod ? r : undefined;
  }

  async create(sandboxRef: string, config: ContainerConfig, sandboxConfig: { log_directory?: string } | null): Promise<string> {
    const s = this.d.sandboxes.get(sandboxRef);
    if (s.state !== 'SANDBOX_READY') throw new ConflictError(`pod sandbox ${s.id} is not ready: run a new one (crictl runp) for new containers`);
    if (!config.metadata?.name) throw new InvalidParameterError('the container config needs metadata with a name');
    if (!config.image?.image) throw new InvalidParameterError('the container config needs an image');
    const sc = config.linux?.security_context ?? {};
    const podSc = s.config.linux?.security_context;
    const securityOpt: string[] = [];
    const seccomp = await seccompOpt(sc);
    if (seccomp) securityOpt.push(seccomp);
    if (sc.no_new_privs) securityOpt.push('no-new-privileges');
    const ns = sc.namespace_options ?? {};
    const logDir = sandboxConfig?.log_directory ?? s.config.log_directory ?? '';
    const logPath = config.log_path && logDir ? join(logDir, config.log_path) : '';
    const dns = s.config.dns_config;
    const hostConfig: Record<string, unknown> = {
      NetworkMode: 'none',
      Binds: (config.mounts ?? []).map((m) => {
        if (m.image?.image) throw new NotImplementedError(`image volume ${m.image.image} → ${m.container_path}: Berth does not mount images as volumes yet (Kubernetes' ImageVolume feature)`);
        if (!isAbsolute(m.container_path) || !isAbsolute(m.host_path)) throw new InvalidParameterError(`mount ${m.host_path} → ${m.container_path}: both paths must be absolute`);
        const propagation = m.propagation === 'PROPAGATION_BIDIRECTIONAL' ? 'rshared' : m.propagation === 'PROPAGATION_HOST_TO_CONTAINER' ? 'rslave' : 'rprivate';
        return `${m.host_path}:${m.container_path}:${m.readonly ? 'ro' : 'rw'},${propagation}`;
      }),
      Privileged: sc.privileged === true,
      ReadonlyRootfs: sc.readonly_rootfs === true,
      CapAdd: sc.capabilities?.add_capabilities ?? [],
      CapDrop: sc.capabilities?.drop_capabilities ?? [],
      SecurityOpt: securityOpt,
      GroupAdd: (sc.supplemental_groups ?? []).map((g) => String(g)),
      CgroupParent: s.cgroupParent,
      PidMode: ns.pid === 'NODE' ? 'host' : '',
      Sysctls: s.config.linux?.sysctls ?? {},
      Dns: dns?.servers ?? [],
      DnsSearch: dns?.searches ?? [],
      DnsOptions: dns?.options ?? [],
      ...(sc.masked_paths && sc.masked_paths.length > 0 ? { MaskedPaths: sc.masked_paths } : {}),
      ...(sc.readonly_paths && sc.readonly_paths.length > 0 ? { ReadonlyPaths: sc.readonly_paths } : {}),
      ...resourceFields(config.linux?.resources),
      ...(num(config.linux?.resources?.oom_score_adj) !== 0 ? { OomScoreAdj: num(config.linux?.resources?.oom_score_adj) } : {}),
    };
    if (sc.privileged && podSc?.privileged !== true) throw new InvalidParameterError('a privileged container needs a privileged pod sandbox (security_context.privileged on the pod)');
    const body = {
      Image: config.image.image,
      ...(config.command && config.command.length > 0 ? { Entrypoint: config.command } : {}),
      ...(config.args && config.args.length > 0 ? { Cmd: config.args } : {}),
      Env: (config.envs ?? []).map((e) => `${e.key}=${e.value}`),
      WorkingDir: config.working_dir ?? '',
      User: userOf(sc),
      Labels: { ...(config.labels ?? {}), [SANDBOX_LABEL]: s.id },
      Tty: config.tty === true,
      OpenStdin: config.stdin === true,
      StdinOnce: config.stdin_once === true,
      AttachStdin: config.stdin === true,
      Hostname: s.config.hostname ?? '',
      HostConfig: hostConfig,
    };
    const created = await this.d.containers.create(body, dockerName(config, s), {
      logPath,
      membership: { SandboxId: s.id, Name: config.metadata.name, Attempt: config.metadata.attempt ?? 0, Annotations: config.annotations ?? {}, Image: config.image.image },
    });
    return created.Id;
  }

  async start(ref: string): Promise<void> {
    const r = this.get(ref);
    if (r.State.Status !== 'created') throw new ConflictError(`container ${r.Id} is ${r.State.Status}: only a created container can start (the CRI starts each container once)`);
    await this.d.containers.start(r.Id, { pod: true });
  }

  /** SIGTERM, SIGKILL after `timeout` seconds; a stopped container is no error (the CRI says so). */
  async stop(ref: string, timeout: number): Promise<void> {
    const r = this.get(ref);
    if (!r.State.Running) return;
    await this.d.containers.stop(r.Id, { timeout, pod: true }).catch((err: unknown) => {
      if (!(err instanceof NotModifiedError)) throw err;
    });
  }

  /** A running container is killed first; an unknown one is no error (the CRI says so). */
  async remove(ref: string): Promise<void> {
    const r = this.d.registry.find(ref);
    if (!r || !r.Pod) return;
    await this.d.containers.remove(r.Id, { force: true, volumes: true, pod: true });
  }

  /** Every container of a sandbox (StopPodSandbox, RemovePodSandbox). */
  async stopAllOf(sandboxId: string): Promise<void> {
    await Promise.all(this.all().filter((r) => r.Pod?.SandboxId === sandboxId).map((r) => this.stop(r.Id, 0)));
  }

  async removeAllOf(sandboxId: string): Promise<void> {
    for (const r of this.all().filter((c) => c.Pod?.SandboxId === sandboxId)) await this.remove(r.Id);
  }

  state(r: ContainerRecord): ContainerState {
    if (r.State.Running || r.State.Paused) return 'CONTAINER_RUNNING';
    if (r.State.Status === 'created') return 'CONTAINER_CREATED';
    if (r.State.Status === 'exited' || r.State.Status === 'dead') return 'CONTAINER_EXITED';
    return 'CONTAINER_UNKNOWN';
  }

  /** ContainerStatus's reason: as containerd words them. */
  reason(r: ContainerRecord): { reason: string; message: string } {
    if (this.state(r) !== 'CONTAINER_EXITED') return { reason: '', message: '' };
    if (r.State.OOMKilled) return { reason: 'OOMKilled', message: r.LastExit?.Message ?? '' };
    if (r.State.ExitCode === 0) return { reason: 'Completed', message: '' };
    return { reason: 'Error', message: r.State.Error || (r.LastExit?.Message ?? '') };
  }

  times(r: ContainerRecord): { created: string; started: string; finished: string } {
    return { created: isoToNs(r.Created), started: isoToNs(r.State.StartedAt), finished: this.state(r) === 'CONTAINER_EXITED' ? isoToNs(r.State.FinishedAt) : '0' };
  }

  async reopenLog(ref: string): Promise<void> {
    const r = this.get(ref);
    if (!r.State.Running) throw new ConflictError(`container ${r.Id} is not running: only a running container's log can be reopened`);
    await (await this.d.containers.lifecycle.handle(r)).reopenLog();
  }

  async update(ref: string, res: LinuxContainerResources | null | undefined): Promise<void> {
    const r = this.get(ref);
    await this.d.containers.update(r.Id, resourceFields(res) as never, { pod: true });
  }

  /** Runs a command to its end; past `timeoutSeconds` (0: none) it is killed and DEADLINE_EXCEEDED answered. */
  async execSync(ref: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const r = this.get(ref);
    if (!r.State.Running) throw new ConflictError(`container ${r.Id} is not running: start it before exec`);
    if (cmd.length === 0) throw new InvalidParameterError('exec needs a command');
    const id = this.d.execs.create(r.Id, { Cmd: cmd, AttachStdout: true, AttachStderr: true }).Id;
    let timedOut = false;
    const timer = timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          this.d.execs.killProcess(id);
        }, timeoutSeconds * 1000)
      : undefined;
    try {
      const socket = await this.d.execs.start(id, { detach: false });
      const streams = socket ? await collectStreams(socket, EXEC_SYNC_LIMIT) : { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
      await this.d.execs.settled(id);
      if (timedOut) throw new TimeoutError(`command ${JSON.stringify(cmd.join(' '))} in container ${r.Id} timed out after ${timeoutSeconds}s`);
      return { ...streams, exitCode: (this.d.execs.inspect(id).ExitCode as number | null) ?? -1 };
    } finally {
      if (timer) clearTimeout(timer);
      this.d.execs.discard(id);
    }
  }

  /** A cgroup sample of a running container (undefined for one that does not run). */
  async sample(r: ContainerRecord): Promise<CgroupSample | undefined> {
    if (!r.State.Running) return undefined;
    return await this.d.host.limits.driver.sample(recordCgroupPath(r, this.d.host.cgroupParent)).catch(() => undefined);
  }

  /** CRI ContainerStats (cpu, memory, writable layer) from a sample; zeros when there is none. */
  stats(r: ContainerRecord, s: CgroupSample | undefined): Record<string, unknown> {
    const at = nowNs();
    const inactive = s ? (s.memoryStats.total_inactive_file ?? s.memoryStats.inactive_file ?? 0) : 0;
    const usage = s?.memoryUsage ?? 0;
    return {
      attributes: this.attributes(r),
      cpu: { timestamp: at, usage_core_nano_seconds: { value: String(s?.cpuUsageNs ?? 0) } },
      memory: {
        timestamp: at,
        working_set_bytes: { value: String(Math.max(0, usage - inactive)) },
        usage_bytes: { value: String(usage) },
        rss_bytes: { value: String(s ? (s.memoryStats.total_rss ?? s.memoryStats.rss ?? s.memoryStats.anon ?? 0) : 0) },
        page_faults: { value: String(s ? (s.memoryStats.total_pgfault ?? s.memoryStats.pgfault ?? 0) : 0) },
        major_page_faults: { value: String(s ? (s.memoryStats.total_pgmajfault ?? s.memoryStats.pgmajfault ?? 0) : 0) },
        ...(s && s.memoryLimit > 0 ? { available_bytes: { value: String(Math.max(0, s.memoryLimit - (usage - inactive))) } } : {}),
      },
      writable_layer: { timestamp: at, fs_id: { mountpoint: '' }, used_bytes: { value: '0' }, inodes_used: { value: '0' } },
    };
  }

  attributes(r: ContainerRecord): Record<string, unknown> {
    return { id: r.Id, metadata: { name: r.Pod?.Name ?? '', attempt: r.Pod?.Attempt ?? 0 }, labels: criLabels(r), annotations: r.Pod?.Annotations ?? {} };
  }
}
