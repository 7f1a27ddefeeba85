import { NotImplementedError } from '../../core/errors.js';
import type { ContainerSpecInput } from '../../oci/runtime/build-spec.js';
import { parseSecurityOptions } from './limits/security-options.js';
import { specResources } from './limits/spec-limits.js';
import type { ContainerRecord } from './container-types.js';
import { ociMounts } from './mount-setup.js';
import type { EtcFiles } from './etc-files.js';
import type { ResolvedUser } from './user-lookup.js';
import type { NetnsChoice } from '../networks/container-endpoints.js';
import type { JoinedNamespaces } from './shared-namespaces.js';
import type { HostLimits } from './limits/host-limits.js';

export interface HostSpecFacts {
  /** The cgroup every container's cgroup is made under (dockerd's --cgroup-parent). */
  cgroupParent: string;
  kernelRelease: string;
  /** Host path of a static init (docker-init is tini) for `--init`. */
  initBinary: string | undefined;
  /** The host's cgroup support and driver, and its security facts (detected once at start). */
  limits: HostLimits;
  /**
   * Rootless (issue 23): the daemon is root of a user namespace that maps 0..65536 only. Without
   * cgroup delegation containers get no cgroup of their own (their limits were discarded with a
   * warning at create), and group IDs past the mapping are invalid in sysctls.
   */
  rootless?: boolean;
}

const BRIDGE_SYSCTLS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };
/** The same in a rootless daemon's user namespace, where only the mapped group IDs are valid. */
const ROOTLESS_BRIDGE_SYSCTLS = { ...BRIDGE_SYSCTLS, 'net.ipv4.ping_group_range': '0 65536' };

/** `<parent>/<id>`: the container's cgroup, the same path under every v1 controller or in v2. */
export function containerCgroupPath(parent: string, id: string): string {
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

/** The container's own cgroup: under its `--cgroup-parent` when set, else the daemon's. */
export function recordCgroupPath(record: ContainerRecord, daemonParent: string): string {
  const own = typeof record.HostConfig.CgroupParent === 'string' ? record.HostConfig.CgroupParent : '';
  return containerCgroupPath(own === '' ? daemonParent : own.startsWith('/') ? own : `/${own}`, record.Id);
}

/** Everything the OCI spec builder needs, from the record and what start prepared. */
export function specInputFor(record: ContainerRecord, rootfsPath: string, user: ResolvedUser, etc: EtcFiles, host: HostSpecFacts, netns: NetnsChoice, joined: JoinedNamespaces = {}): ContainerSpecInput {
  const hc = record.HostConfig;
  const cfg = record.Config;
  const ipc = joined.ipc ?? (hc.IpcMode === 'host' ? 'host' : hc.IpcMode === 'none' ? 'none' : 'private');
  const mounts = record.Mounts && record.Mounts.length > 0 ? ociMounts(record.Mounts) : [];
  // The /dev/shm shared through the host, unless the container mounts its own there.
  if (joined.shm && !mounts.some((m) => m.destination === '/dev/shm')) mounts.push(joined.shm);
  if (hc.Init === true && !host.initBinary) throw new NotImplementedError('--init needs tini-static on the host: apt-get install tini');
  const [rows, cols] = hc.ConsoleSize;
  return {
    rootfsPath,
    args: [record.Path, ...record.Args],
    env: cfg.Env,
    cwd: cfg.WorkingDir || '/',
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    tty: cfg.Tty,
    ...(cfg.Tty && rows > 0 && cols > 0 ? { consoleSize: { height: rows, width: cols } } : {}),
    hostname: cfg.Hostname,
    ...(cfg.Domainname ? { domainname: cfg.Domainname } : {}),
    namespaces: {
      pid: joined.pid ?? (hc.PidMode === 'host' ? 'host' : 'private'),
      ipc,
      uts: hc.UTSMode === 'host' ? 'host' : 'private',
      net: netns.kind === 'path' ? { path: netns.path } : netns.kind,
      mnt: 'private',
      user: 'host',
      // --cgroupns; docker's default is the host's namespace on cgroup v1, a private one on v2.
      cgroup: hc.CgroupnsMode === 'private' || hc.CgroupnsMode === 'host' ? hc.CgroupnsMode : host.limits.cgroups.version === 2 ? 'private' : 'host',
    },
    ...(hc.CapAdd ? { capAdd: hc.CapAdd } : {}),
    ...(hc.CapDrop ? { capDrop: hc.CapDrop } : {}),
    privileged: hc.Privileged,
    readonlyRootfs: hc.ReadonlyRootfs,
    ...parseSecurityOptions(hc.SecurityOpt ?? [], host.limits.security),
    availableCapabilities: host.limits.security.capabilities,
    kernelRelease: host.kernelRelease,
    ...(host.rootless ? { pingGroupMax: 65536 } : { cgroupsPath: recordCgroupPath(record, host.cgroupParent), resources: specResources(hc) }),
    ...(hc.DeviceCgroupRules ? { deviceCgroupRules: hc.DeviceCgroupRules as string[] } : {}),
    ...(Array.isArray(hc.MaskedPaths) ? { maskedPaths: hc.MaskedPaths as string[] } : {}),
    ...(Array.isArray(hc.ReadonlyPaths) ? { readonlyPaths: hc.ReadonlyPaths as string[] } : {}),
    ...(hc.Ulimits ? { ulimits: hc.Ulimits.map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })) } : {}),
    // A bridge container joins the namespace Berth made, yet docker treats it as private: same sysctls.
    ...(hc.Sysctls || netns.kind === 'path' ? { sysctls: { ...(netns.kind === 'path' && !hc.NetworkMode.startsWith('container:') ? (host.rootless ? ROOTLESS_BRIDGE_SYSCTLS : BRIDGE_SYSCTLS) : {}), ...(hc.Sysctls ?? {}) } } : {}),
    ...(hc.Init === true && host.initBinary ? { init: host.initBinary } : {}),
    ...(typeof hc.ShmSize === 'number' && hc.ShmSize > 0 ? { shmSize: hc.ShmSize } : {}),
    ...(typeof hc.OomScoreAdj === 'number' ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    ...(mounts.length > 0 ? { mounts } : {}),
    hostsFile: etc.hosts,
    resolvConf: etc.resolvConf,
    hostnameFile: etc.hostname,
  };
}
