/**
 * runtime.v1.RuntimeService: the CRI calls of pods and their containers, as the kubelet and
 * crictl make them, on the engine's pod services (engine/cri). Each handler takes the request
 * as @grpc/proto-loader decodes it and returns the response object; errors are typed errors,
 * which server.ts turns into gRPC codes.
 */
import { NotImplementedError } from '../../core/errors.js';
import type { ContainerRecord } from '../../engine/containers/container-types.js';
import type { ContainerConfig, PodSandboxConfig } from '../../engine/cri/cri-types.js';
import { isoToNs } from '../../engine/cri/cri-time.js';
import { criLabels, type PodContainers } from '../../engine/cri/pod-containers.js';
import type { PodNetwork } from '../../engine/cri/pod-network.js';
import type { PodSandboxes, SandboxRecord } from '../../engine/cri/pod-sandboxes.js';
import type { StreamUrls } from './stream-urls.js';

export interface RuntimeServiceDeps {
  sandboxes: PodSandboxes;
  containers: PodContainers;
  network: PodNetwork;
  /** The streaming server's URLs; absent until one is wired (Exec, Attach, PortForward answer UNIMPLEMENTED). */
  streams?: StreamUrls;
  version: string;
  runtimeName: string;
  /** What `crictl info` shows beside the conditions (containerd's `config`). */
  info: () => Record<string, unknown>;
}

/** Is every selector label on the object with that value. */
const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

type Req = Record<string, unknown>;
type Handler = (req: never) => Promise<unknown>;

const NO_STREAMING = 'Berth has no CRI streaming server yet: exec -it, attach and port-forward are not available (crictl exec without -i/-t runs through ExecSync)';

export function runtimeServiceHandlers(d: RuntimeServiceDeps): Record<string, Handler> {
  const sandboxStatus = (s: SandboxRecord): Record<string, unknown> => ({
    id: s.id,
    metadata: s.metadata,
    state: s.state,
    created_at: s.createdAt,
    network: { ip: s.ips[0] ?? '', additional_ips: s.ips.slice(1).map((ip) => ({ ip })) },
    linux: {
      namespaces: {
        options: {
          network: s.hostNetwork ? 'NODE' : 'POD',
          pid: s.sharePid ? 'POD' : (s.config.linux?.security_context?.namespace_options?.pid ?? 'CONTAINER'),
          ipc: s.config.linux?.security_context?.namespace_options?.ipc === 'NODE' ? 'NODE' : 'POD',
          target_id: '',
        },
      },
    },
    labels: s.config.labels ?? {},
    annotations: s.config.annotations ?? {},
    runtime_handler: s.runtimeHandler,
  });
  const containerSummary = (r: ContainerRecord): Record<string, unknown> => {
    const t = d.containers.times(r);
    return {
      id: r.Id,
      pod_sandbox_id: r.Pod?.SandboxId ?? '',
      metadata: { name: r.Pod?.Name ?? '', attempt: r.Pod?.Attempt ?? 0 },
      image: { image: r.Pod?.Image ?? '' },
      image_ref: r.Image,
      state: d.containers.state(r),
      created_at: t.created,
      labels: criLabels(r),
      annotations: r.Pod?.Annotations ?? {},
      image_id: r.Image,
    };
  };
  const containerStatus = (r: ContainerRecord): Record<string, unknown> => {
    const t = d.containers.times(r);
    const why = d.containers.reason(r);
    return {
      id: r.Id,
      metadata: { name: r.Pod?.Name ?? '', attempt: r.Pod?.Attempt ?? 0 },
      state: d.containers.state(r),
      created_at: t.created,
      started_at: t.started,
      finished_at: t.finished,
      exit_code: d.containers.state(r) === 'CONTAINER_EXITED' ? r.State.ExitCode : 0,
      image: { image: r.Pod?.Image ?? '' },
      image_ref: r.Image,
      image_id: r.Image,
      reason: why.reason,
      message: why.message,
      labels: criLabels(r),
      annotations: r.Pod?.Annotations ?? {},
      mounts: (r.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => ({ container_path: m.Destination, host_path: m.Source, readonly: m.RW === false, propagation: m.Propagation === 'rshared' ? 'PROPAGATION_BIDIRECTIONAL' : m.Propagation === 'rslave' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE' })),
      log_path: r.LogPath,
    };
  };
  const verboseInfo = (verbose: unknown, value: unknown): Record<string, string> => (verbose === true ? { info: JSON.stringify(value) } : {});

  const handlers: Record<string, (req: Req) => Promise<unknown>> = {
    async Version() {
      return { version: '0.1.0', runtime_name: d.runtimeName, runtime_version: d.version, runtime_api_version: 'v1' };
    },
    async Status(req) {
      // Read now: a network add-on may have just installed its config.
      const net = d.network.refresh ? await d.network.refresh().catch(() => d.network.status()) : d.network.status();
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            { type: 'NetworkReady', status: net.ready, reason: net.reason ?? '', message: net.message ?? '' },
          ],
        },
        info: req.verbose === true ? { config: JSON.stringify(d.info()) } : {},
        runtime_handlers: [{ name: '', features: { recursive_read_only_mounts: false, user_namespaces: false } }],
        features: { supplemental_groups_policy: false },
      };
    },
    async RuntimeConfig() {
      return { linux: { cgroup_driver: 'CGROUPFS' } };
    },
    async UpdateRuntimeConfig() {
      // The kubelet sends the pod CIDR here; the CNI configuration decides addresses.
      return {};
    },

    async RunPodSandbox(req) {
      return { pod_sandbox_id: await d.sandboxes.run(req.config as PodSandboxConfig, String(req.runtime_handler ?? '')) };
    },
    async StopPodSandbox(req) {
      const s = d.sandboxes.find(String(req.pod_sandbox_id));
      // Stopping what is not there is no error in the CRI (the kubelet retries after a crash).
      if (s) await d.sandboxes.stop(s.id, (id) => d.containers.stopAllOf(id));
      return {};
    },
    async RemovePodSandbox(req) {
      await d.sandboxes.remove(String(req.pod_sandbox_id), async (id) => {
        await d.containers.stopAllOf(id);
        await d.containers.removeAllOf(id);
      });
      return {};
    },
    async PodSandboxStatus(req) {
      const s = d.sandboxes.get(String(req.pod_sandbox_id));
      const status = sandboxStatus(s);
      return { status, info: verboseInfo(req.verbose, { ...status, config: s.config, cgroupParent: s.cgroupParent, netns: s.netns ?? 'host', pid: d.sandboxes.sandbox(s.id)?.pid ?? 0 }), containers_statuses: [], timestamp: '0' };
    },
    async ListPodSandbox(req) {
      const f = (req.filter ?? {}) as { id?: string; state?: { state: string } | null; label_selector?: Record<string, string> };
      const items = d.sandboxes.all().filter((s) => (!f.id || s.id.startsWith(f.id)) && (!f.state || s.state === f.state.state) && labelsMatch(f.label_selector, s.config.labels ?? {}));
      return {
        items: items.map((s) => ({ id: s.id, metadata: s.metadata, state: s.state, created_at: s.createdAt, labels: s.config.labels ?? {}, annotations: s.config.annotations ?? {}, runtime_handler: s.runtimeHandler })),
      };
    },

    async CreateContainer(req) {
      const s = d.sandboxes.get(String(req.pod_sandbox_id));
      return { container_id: await d.containers.create(s.id, req.config as ContainerConfig, req.sandbox_config as PodSandboxConfig | null) };
    },
    async StartContainer(req) {
      await d.containers.start(String(req.container_id));
      return {};
    },
    async StopContainer(req) {
      const r = d.containers.find(String(req.container_id));
      if (r) await d.containers.stop(r.Id, Number(req.timeout ?? 0));
      return {};
    },
    async RemoveContainer(req) {
      await d.containers.remove(String(req.container_id));
      return {};
    },
    async ListContainers(req) {
      const f = (req.filter ?? {}) as { id?: string; state?: { state: string } | null; pod_sandbox_id?: string; label_selector?: Record<string, string> };
      const items = d.containers.all().filter(
        (r) => (!f.id || r.Id.startsWith(f.id)) && (!f.pod_sandbox_id || (r.Pod?.SandboxId ?? '').startsWith(f.pod_sandbox_id)) && (!f.state || d.containers.state(r) === f.state.state) && labelsMatch(f.label_selector, criLabels(r)),
      );
      return { containers: items.map(containerSummary) };
    },
    async ContainerStatus(req) {
      const r = d.containers.get(String(req.container_id));
      const status = containerStatus(r);
      return { status, info: verboseInfo(req.verbose, { sandboxID: r.Pod?.SandboxId, pid: r.State.Pid, config: r.Config, hostConfig: r.HostConfig, name: r.Name.slice(1), removing: r.State.Status === 'removing' }) };
    },
    async UpdateContainerResources(req) {
      await d.containers.update(String(req.container_id), req.linux as never);
      return {};
    },
    async ReopenContainerLog(req) {
      await d.containers.reopenLog(String(req.container_id));
      return {};
    },
    async ExecSync(req) {
      const res = await d.containers.execSync(String(req.container_id), (req.cmd as string[]) ?? [], Number(req.timeout ?? 0));
      return { stdout: res.stdout, stderr: res.stderr, exit_code: res.exitCode };
    },
    async Exec(req) {
      if (!d.streams) throw new NotImplementedError(NO_STREAMING);
      d.containers.get(String(req.container_id));
      return await d.streams.exec(req as never);
    },
    async Attach(req) {
      if (!d.streams) throw new NotImplementedError(NO_STREAMING);
      d.containers.get(String(req.container_id));
      return await d.streams.attach(req as never);
    },
    async PortForward(req) {
      if (!d.streams) throw new NotImplementedError(NO_STREAMING);
      d.sandboxes.get(String(req.pod_sandbox_id));
      return await d.streams.portForward(req as never);
    },

    async ContainerStats(req) {
      const r = d.containers.get(String(req.container_id));
      return { stats: d.containers.stats(r, await d.containers.sample(r)) };
    },
    async ListContainerStats(req) {
      const f = (req.filter ?? {}) as { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> };
      const items = d.containers.all().filter((r) => (!f.id || r.Id.startsWith(f.id)) && (!f.pod_sandbox_id || (r.Pod?.SandboxId ?? '').startsWith(f.pod_sandbox_id)) && labelsMatch(f.label_selector, criLabels(r)));
      return { stats: await Promise.all(items.map(async (r) => d.containers.stats(r, await d.containers.sample(r)))) };
    },
    async PodSandboxStats(req) {
      return { stats: await podStats(d, d.sandboxes.get(String(req.pod_sandbox_id))) };
    },
    async ListPodSandboxStats(req) {
      const f = (req.filter ?? {}) as { id?: string; label_selector?: Record<string, string> };
      const items = d.sandboxes.all().filter((s) => s.state === 'SANDBOX_READY' && (!f.id || s.id.startsWith(f.id)) && labelsMatch(f.label_selector, s.config.labels ?? {}));
      return { stats: await Promise.all(items.map((s) => podStats(d, s))) };
    },
  };
  return handlers as Record<string, Handler>;
}

/** A pod's stats: its containers' samples, and their sums as the pod's cpu and memory. */
async function podStats(d: RuntimeServiceDeps, s: SandboxRecord): Promise<Record<string, unknown>> {
  const members = d.containers.all().filter((r) => r.Pod?.SandboxId === s.id);
  const samples = await Promise.all(members.map(async (r) => ({ r, s: await d.containers.sample(r) })));
  const containers = samples.map((x) => d.containers.stats(x.r, x.s));
  const sum = (key: 'cpu' | 'memory', field: string): string => String(containers.reduce((acc, c) => acc + Number(((c[key] as Record<string, { value: string } | undefined>)[field]?.value) ?? 0), 0));
  const at = isoToNs(new Date().toISOString());
  return {
    attributes: { id: s.id, metadata: s.metadata, labels: s.config.labels ?? {}, annotations: s.config.annotations ?? {} },
    linux: {
      cpu: { timestamp: at, usage_core_nano_seconds: { value: sum('cpu', 'usage_core_nano_seconds') } },
      memory: { timestamp: at, working_set_bytes: { value: sum('memory', 'working_set_bytes') }, usage_bytes: { value: sum('memory', 'usage_bytes') }, rss_bytes: { value: sum('memory', 'rss_bytes') } },
      process: { timestamp: at, process_count: { value: String(samples.reduce((n, x) => n + (x.s?.pids ?? 0), 0)) } },
      containers,
    },
  };
}
