/**
 * Kubernetes pod sandboxes (CRI RunPodSandbox … RemovePodSandbox): a pause process holding the
 * pod's network, IPC and UTS namespaces (and PID when the pod shares one), made through the
 * runtime seam (drivers/runtime: createSandbox), with the network namespace made here and filled
 * by the PodNetwork. A sandbox's record is written atomically to <data-root>/cri/sandboxes/<id>.json
 * at each change; after a berthd restart the pause processes still running are adopted again,
 * and a sandbox whose pause process is gone is NOTREADY, as containerd reports it.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { ConflictError, errorMessage, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { createNetns, deleteNetns } from '../../drivers/network/host-links.js';
import type { ContainerRuntime, Sandbox } from '../../drivers/runtime/container-runtime.js';
import type { PodSandboxConfig, PodSandboxMetadata, SandboxState } from './cri-types.js';
import type { PodNetwork, PodNetworkRequest, PodPortMapping } from './pod-network.js';
import { nowNs } from './cri-time.js';

/** What Berth keeps of a sandbox. */
export interface SandboxRecord {
  id: string;
  metadata: PodSandboxMetadata;
  /** Nanoseconds since the epoch, as a decimal string (int64 on the wire). */
  createdAt: string;
  state: SandboxState;
  config: PodSandboxConfig;
  runtimeHandler: string;
  /** The cgroup the pod's containers are made under (cgroupfs path). */
  cgroupParent: string;
  /** The pod's own network namespace (a bind mount), or undefined for a host-network pod. */
  netns: string | undefined;
  ips: string[];
  sharePid: boolean;
  hostNetwork: boolean;
  /** Kubernetes' hostIPC: the pod uses berthd's IPC namespace (absent in records of older builds). */
  hostIpc?: boolean;
}

export interface PodSandboxesDeps {
  dataRoot: string;
  execRoot: string;
  /** The daemon's cgroup parent: pods without linux.cgroup_parent go under it. */
  cgroupParent: string;
  runtime: () => ContainerRuntime;
  network: PodNetwork;
  log: Logger;
}

/** berthd's own IPC namespace: the host's (or a test daemon's). */
const HOST_IPC = `/proc/${process.pid}/ns/ipc`;

const NAME_KEY = (m: PodSandboxMetadata): string => `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;

/** A cgroupfs parent from the kubelet (`/kubepods/burstable/pod<uid>`); systemd slices are not driven yet. */
function checkCgroupParent(parent: string): string {
  if (parent.endsWith('.slice')) throw new InvalidParameterError(`cgroup parent "${parent}" is a systemd slice: Berth drives cgroups with cgroupfs; start the kubelet with --cgroup-driver=cgroupfs`);
  if (!/^\/?[A-Za-z0-9_.\/-]*$/.test(parent) || parent.split('/').includes('..')) throw new InvalidParameterError(`invalid cgroup parent "${parent}": use an absolute cgroupfs path like /kubepods/pod<uid>`);
  return parent.startsWith('/') ? parent : `/${parent}`;
}

export class PodSandboxes {
  private readonly records = new Map<string, SandboxRecord>();
  private readonly running = new Map<string, Sandbox>();
  private readonly names = new Map<string, string>();
  /** One change at a time per sandbox (kubelet may stop and remove concurrently). */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly d: PodSandboxesDeps) {}

  private get dir(): string {
    return join(this.d.dataRoot, 'cri', 'sandboxes');
  }

  private runDir(id: string): string {
    return join(this.d.execRoot, 'cri', 'sandboxes', id);
  }

  private netnsPath(id: string): string {
    return join(this.d.execRoot, 'cri', 'netns', id);
  }

  /** Loads the records and adopts the pause processes that still run. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json')) continue;
      let r: SandboxRecord;
      try {
        r = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as SandboxRecord;
      } catch (err) {
        this.d.log.warn({ err, file: name }, 'skipping an unreadable pod sandbox record');
        continue;
      }
      this.records.set(r.id, r);
      this.names.set(NAME_KEY(r.metadata), r.id);
      if (r.state !== 'SANDBOX_READY') continue;
      const sandbox = await this.d.runtime().restoreSandbox(r.id, this.runDir(r.id), { sharePid: r.sharePid, ...(r.hostIpc ? { hostIpc: HOST_IPC } : {}) }).catch(() => undefined);
      if (sandbox) this.running.set(r.id, sandbox);
      else {
        this.d.log.warn({ id: r.id }, 'the pause process of a pod sandbox is gone: the sandbox is NOTREADY');
        await this.release(r).catch((err: unknown) => this.d.log.warn({ err, id: r.id }, 'cleaning up a lost pod sandbox failed'));
      }
    }
  }

  private async save(r: SandboxRecord): Promise<void> {
    await atomicWriteJson(join(this.dir, `${r.id}.json`), r, 0o600);
  }

  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }

  all(): SandboxRecord[] {
    return [...this.records.values()];
  }

  /** By full ID or unique prefix (crictl passes either). */
  get(ref: string): SandboxRecord {
    const exact = this.records.get(ref);
    if (exact) return exact;
    const matches = ref === '' ? [] : [...this.records.values()].filter((r) => r.id.startsWith(ref));
    if (matches.length === 1) return matches[0] as SandboxRecord;
    if (matches.length > 1) throw new InvalidParameterError(`pod sandbox ID prefix ${ref} is ambiguous: give more of it`);
    throw new NotFoundError(`pod sandbox ${ref} not found`);
  }

  find(ref: string): SandboxRecord | undefined {
    try {
      return this.get(ref);
    } catch {
      return undefined;
    }
  }

  /** The running sandbox a pod container joins at start (engine/containers asks). */
  sandbox(id: string): Sandbox | undefined {
    return this.running.get(id);
  }

  networkRequest(r: SandboxRecord): PodNetworkRequest {
    const c = r.config;
    const ports: PodPortMapping[] = (c.port_mappings ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', containerPort: p.container_port ?? 0, hostPort: p.host_port ?? 0, hostIp: p.host_ip ?? '' }));
    return {
      podId: r.id,
      netns: r.netns ?? '',
      podName: r.metadata.name,
      podNamespace: r.metadata.namespace,
      podUid: r.metadata.uid,
      portMappings: ports,
      dns: { servers: c.dns_config?.servers ?? [], searches: c.dns_config?.searches ?? [], options: c.dns_config?.options ?? [] },
      cgroupParent: r.cgroupParent,
    };
  }

  async run(config: PodSandboxConfig, runtimeHandler: string): Promise<string> {
    const m = config.metadata;
    if (!m || !m.name || !m.namespace || !m.uid) throw new InvalidParameterError('the pod sandbox config needs metadata with name, namespace and uid');
    const key = NAME_KEY(m);
    const taken = this.names.get(key);
    if (taken) throw new ConflictError(`the pod sandbox name "${key}" is reserved for ${taken}: remove that sandbox first (crictl rmp ${taken.slice(0, 12)})`);
    if (runtimeHandler !== '' && runtimeHandler !== this.d.runtime().name) {
      throw new NotFoundError(`no runtime handler "${runtimeHandler}": Berth runs pods with ${this.d.runtime().name} (leave runtime_handler empty)`);
    }
    const ns = config.linux?.security_context?.namespace_options ?? {};
    const id = newId();
    this.names.set(key, id);
    const hostNetwork = ns.network === 'NODE';
    const record: SandboxRecord = {
      id,
      metadata: { name: m.name, uid: m.uid, namespace: m.namespace, attempt: m.attempt ?? 0 },
      createdAt: nowNs(),
      state: 'SANDBOX_NOTREADY',
      config,
      runtimeHandler,
      cgroupParent: checkCgroupParent(config.linux?.cgroup_parent || this.d.cgroupParent),
      netns: hostNetwork ? undefined : this.netnsPath(id),
      ips: [],
      sharePid: ns.pid === 'POD',
      hostNetwork,
      hostIpc: ns.ipc === 'NODE',
    };
    let networked = false;
    let started: Sandbox | undefined;
    try {
      if (record.netns) {
        await createNetns(record.netns);
        networked = true;
      }
      // The CNI plugins and the pause process each need only the namespace: they run side by
      // side, so a pod is up in the longer of the two instead of their sum.
      const [net, pause] = await Promise.allSettled([
        record.netns ? this.d.network.setUp(this.networkRequest(record)) : Promise.resolve({ ips: [] }),
        this.d.runtime().createSandbox(id, this.runDir(id), {
          cgroupsPath: `${record.cgroupParent.replace(/\/+$/, '')}/${id}`,
          ...(config.hostname ? { hostname: config.hostname } : {}),
          // A host-network pod's pause joins berthd's own namespace (the host's, or a test's).
          netns: record.netns ?? `/proc/${process.pid}/ns/net`,
          sharePid: record.sharePid,
          ...(record.hostIpc ? { hostIpc: HOST_IPC } : {}),
        }),
      ]);
      if (pause.status === 'fulfilled') started = pause.value;
      if (net.status === 'rejected') throw net.reason;
      if (pause.status === 'rejected') throw pause.reason;
      record.ips = net.value.ips;
      const sandbox = pause.value;
      this.running.set(id, sandbox);
      record.state = 'SANDBOX_READY';
      this.records.set(id, record);
      await this.save(record);
      return id;
    } catch (err) {
      this.running.delete(id);
      this.records.delete(id);
      this.names.delete(key);
      if (started) await this.d.runtime().removeSandbox(id, this.runDir(id)).catch((e: unknown) => this.d.log.warn({ err: e, id }, 'removing the pause of a failed pod sandbox failed'));
      if (networked && record.netns) {
        await this.d.network.tearDown(this.networkRequest(record)).catch((e: unknown) => this.d.log.warn({ err: e, id }, 'tearing down a failed pod network failed'));
        await deleteNetns(record.netns).catch(() => undefined);
      }
      throw err;
    }
  }

  /** The pause process, the network and the namespace go; the record stays (NOTREADY). Idempotent. */
  async stop(ref: string, stopContainers: (id: string) => Promise<void>): Promise<void> {
    const r = this.get(ref);
    await stopContainers(r.id);
    await this.exclusive(r.id, async () => {
      await this.release(r);
    });
  }

  private async release(r: SandboxRecord): Promise<void> {
    this.running.delete(r.id);
    await this.d.runtime().removeSandbox(r.id, this.runDir(r.id));
    if (r.netns) {
      await this.d.network.tearDown(this.networkRequest(r));
      await deleteNetns(r.netns);
    }
    if (r.state !== 'SANDBOX_NOTREADY') {
      r.state = 'SANDBOX_NOTREADY';
      await this.save(r);
    }
  }

  /** Stops what still runs, then forgets the sandbox. An unknown sandbox is no error (the CRI says so). */
  async remove(ref: string, removeContainers: (id: string) => Promise<void>): Promise<void> {
    const r = this.find(ref);
    if (!r) return;
    await removeContainers(r.id);
    await this.exclusive(r.id, async () => {
      await this.release(r).catch((err: unknown) => {
        throw new ConflictError(`cannot stop pod sandbox ${r.id}: ${errorMessage(err)}`);
      });
      await rm(join(this.dir, `${r.id}.json`), { force: true });
      this.records.delete(r.id);
      if (this.names.get(NAME_KEY(r.metadata)) === r.id) this.names.delete(NAME_KEY(r.metadata));
    });
  }
}
