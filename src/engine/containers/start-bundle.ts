import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeDerivedFile } from '../../core/atomic-write.js';
import type { ContainerRuntime, LogOptions, Sandbox } from '../../drivers/runtime/container-runtime.js';
import { ConflictError } from '../../core/errors.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import { buildRuntimeSpec } from '../../oci/runtime/build-spec.js';
import { runtimeSpecToJson } from '../../oci/runtime/spec-json.js';
import type { ContainerEndpoints } from '../networks/container-endpoints.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerRecord } from './container-types.js';
import { mergeEnv } from './create-request.js';
import { writeEtcFiles } from './etc-files.js';
import { linkedAtStart } from './legacy-links.js';
import { logSettings } from './log-config.js';
import { hostSpecParts } from './limits/spec-limits.js';
import { prepareMounts } from './mount-setup.js';
import { ensureInitLayerFiles, ensureWorkingDir, replaceInitLayerDirs, resolveMountDestinations } from './rootfs-paths.js';
import { sharedNamespaces } from './shared-namespaces.js';
import { specInputFor, type HostSpecFacts } from './spec-input.js';
import { resolveUser } from './user-lookup.js';

export interface BundleDeps {
  registry: ContainerRegistry;
  snapshotter: Snapshotter;
  endpoints: ContainerEndpoints;
  execRoot: string;
  host: HostSpecFacts;
  hostGateway: () => string;
  sandboxes?: PodSandboxes;
}

/** The running pod sandboxes a pod's container joins (engine/cri keeps them). */
export interface PodSandboxes {
  running(id: string): Sandbox | undefined;
}

/** Where a container's runtime-side files live: bundle and monitor state, under the exec root. */
export function runDir(execRoot: string, id: string): string {
  return join(execRoot, 'containers', id);
}

/** A clean bundle directory for this run (the last run's monitor state goes), and the log's. */
export async function freshRunDir(execRoot: string, record: ContainerRecord): Promise<string> {
  const dir = runDir(execRoot, record.Id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (record.LogPath !== '') await mkdir(dirname(record.LogPath), { recursive: true, mode: 0o710 });
  return dir;
}

/**
 * Everything a start needs before the runtime, written into the bundle at `dir`: the rootfs
 * mounted and the network attached (together), /etc/hostname, hosts and resolv.conf, docker's
 * init layer and working directory, the mounts' sources, the user, the shared namespaces, the
 * host's devices, and from all of it the OCI spec (`config.json`).
 */
export async function prepareBundle(d: BundleDeps, record: ContainerRecord, runtime: ContainerRuntime, dir: string, mark: (phase: string) => void): Promise<void> {
  // Linked containers must run now; their addresses of now go into the hosts file and env.
  const linked = linkedAtStart(record, (ref) => d.registry.find(ref));
  const [rootfs, net] = await Promise.all([
    d.snapshotter.mountRootfs(record.Id).then((r) => (mark('rootfsMounted'), r)),
    d.endpoints.attach(record).then((n) => (mark('networkAttached'), n)),
  ]);
  mark('mounted');
  const hc = record.HostConfig;
  // The /etc files (in the container's directory), dockerd's init layer (in the rootfs) and what
  // the spec needs besides (the user, from the image's /etc/passwd and group) touch nothing of
  // each other: side by side.
  const [etc, , user, joined, devices] = await Promise.all([
    net.sharedFrom
      ? { hostname: net.sharedFrom.HostnamePath, hosts: net.sharedFrom.HostsPath, resolvConf: net.sharedFrom.ResolvConfPath }
      : writeEtcFiles(join(record.HostsPath, '..'), {
        hostname: record.Config.Hostname,
        domainname: record.Config.Domainname,
        extraHosts: hc.ExtraHosts ?? [],
        hostNetwork: hc.NetworkMode === 'host',
        addresses: net.addresses,
        ...(net.address6 ? { address6: net.address6 } : {}),
        links: linked.hosts,
        hostGateway: d.hostGateway(),
        dns: (hc.Dns as string[] | undefined) ?? [],
        dnsSearch: (hc.DnsSearch as string[] | undefined) ?? [],
        dnsOptions: (hc.DnsOptions as string[] | undefined) ?? [],
        ...(net.nameservers ? { embeddedDns: net.nameservers } : {}),
      }).then((files) => (mark('etc'), files)),
    prepareRootfs(record, rootfs).then(() => mark('rootfs')),
    resolveUser(rootfs, record.Config.User, (hc.GroupAdd as string[] | null | undefined) ?? []).then((u) => (mark('user'), u)),
    sharedNamespaces(record, (ref) => d.registry.find(ref), d.execRoot),
    hostSpecParts(hc),
  ]);
  mark('inputs');
  const input = { ...specInputFor(record, rootfs, user, etc, d.host, net.netns, joined), hostDevices: devices };
  if (linked.env.length > 0) input.env = mergeEnv(linked.env, input.env ?? []);
  let spec = buildRuntimeSpec(input);
  if (record.Pod) {
    const sandbox = d.sandboxes?.running(record.Pod.SandboxId);
    if (!sandbox) throw new ConflictError(`the pod sandbox ${record.Pod.SandboxId} of container ${record.Id} is not running: start the pod again (crictl runp) before its containers`);
    spec = sandbox.join(spec);
  }
  mark('spec');
  spec.mounts = await resolveMountDestinations(spec.mounts, rootfs);
  mark('destinations');
  await writeDerivedFile(join(dir, 'config.json'), runtimeSpecToJson(runtime.adaptSpec(record.Id, spec)));
  mark('bundle');
}

/** What dockerd's init layer and SetupWorkingDirectory do, inside the rootfs only. */
async function prepareRootfs(record: ContainerRecord, rootfs: string): Promise<void> {
  await replaceInitLayerDirs(rootfs);
  await ensureInitLayerFiles(rootfs);
  await ensureWorkingDir(rootfs, record.Config.WorkingDir);
  if (record.Mounts) await prepareMounts(record.Mounts, rootfs);
}

/** The monitor's log flags for the container's log driver. */
export function logOptions(record: ContainerRecord): LogOptions | undefined {
  const s = logSettings(record.HostConfig.LogConfig);
  if (s.driver === 'none') return undefined;
  // The kubelet rotates a pod container's log itself.
  if (record.Pod) return record.LogPath === '' ? undefined : { path: record.LogPath, format: 'cri' };
  return { path: record.LogPath, maxSize: s.maxSize, maxFiles: s.maxFiles, compress: s.compress };
}
