import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import type { ContainerSpecInput } from '../../oci/runtime/build-spec.js';
import { parseSeccompProfile } from '../../oci/runtime/seccomp-profile-parse.js';
import type { ContainerRecord } from './container-types.js';
import { ociMounts } from './mount-setup.js';
import type { EtcFiles } from './etc-files.js';
import type { ResolvedUser } from './user-lookup.js';
import type { NetnsChoice } from '../networks/container-endpoints.js';

export interface HostSpecFacts {
  /** The cgroup every container's cgroup is made under (dockerd's --cgroup-parent). */
  cgroupParent: string;
  cgroupV2: boolean;
  kernelRelease: string;
  /** Host path of a static init (docker-init is tini) for `--init`. */
  initBinary: string | undefined;
}

const BRIDGE_SYSCTLS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };

/** `<parent>/<id>`: the container's cgroup, the same path under every v1 controller or in v2. */
export function containerCgroupPath(parent: string, id: string): string {
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

function securityOptions(opts: readonly string[]): Pick<ContainerSpecInput, 'seccomp' | 'noNewPrivileges'> {
  const out: Pick<ContainerSpecInput, 'seccomp' | 'noNewPrivileges'> = {};
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    if (key === 'no-new-privileges') out.noNewPrivileges = value === '' || value === 'true';
    else if (key === 'seccomp') out.seccomp = value === 'unconfined' ? 'unconfined' : parseSeccompProfile(value);
    else if (key === 'apparmor' || key === 'label') throw new NotImplementedError(`security option "${key}" is not available: this host has no ${key === 'apparmor' ? 'AppArmor' : 'SELinux'} support in Berth yet`);
    else throw new InvalidParameterError(`invalid --security-opt: "${opt}"`);
  }
  return out;
}

/** Everything the OCI spec builder needs, from the record and what start prepared. */
export function specInputFor(record: ContainerRecord, rootfsPath: string, user: ResolvedUser, etc: EtcFiles, host: HostSpecFacts, netns: NetnsChoice): ContainerSpecInput {
  const hc = record.HostConfig;
  const cfg = record.Config;
  const ipc = hc.IpcMode === 'host' ? 'host' : hc.IpcMode === 'none' ? 'none' : 'private';
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
      pid: hc.PidMode === 'host' ? 'host' : 'private',
      ipc,
      uts: hc.UTSMode === 'host' ? 'host' : 'private',
      net: netns.kind === 'path' ? { path: netns.path } : netns.kind,
      mnt: 'private',
      user: 'host',
      // Docker's default on cgroup v1 hosts is the host cgroup namespace.
      cgroup: host.cgroupV2 ? 'private' : 'host',
    },
    ...(hc.CapAdd ? { capAdd: hc.CapAdd } : {}),
    ...(hc.CapDrop ? { capDrop: hc.CapDrop } : {}),
    privileged: hc.Privileged,
    readonlyRootfs: hc.ReadonlyRootfs,
    ...securityOptions(hc.SecurityOpt ?? []),
    kernelRelease: host.kernelRelease,
    cgroupsPath: containerCgroupPath(host.cgroupParent, record.Id),
    resources: {
      ...(hc.Memory > 0 ? { memory: hc.Memory } : {}),
      ...(hc.NanoCpus > 0 ? { nanoCpus: hc.NanoCpus } : {}),
      ...(hc.CpuShares > 0 ? { cpuShares: hc.CpuShares } : {}),
      ...(hc.PidsLimit !== null && hc.PidsLimit > 0 ? { pidsLimit: hc.PidsLimit } : {}),
    },
    ...(hc.Ulimits ? { ulimits: hc.Ulimits.map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })) } : {}),
    // A bridge container joins the namespace Berth made, yet docker treats it as private: same sysctls.
    ...(hc.Sysctls || netns.kind === 'path' ? { sysctls: { ...(netns.kind === 'path' && !hc.NetworkMode.startsWith('container:') ? BRIDGE_SYSCTLS : {}), ...(hc.Sysctls ?? {}) } } : {}),
    ...(hc.Init === true && host.initBinary ? { init: host.initBinary } : {}),
    ...(typeof hc.ShmSize === 'number' && hc.ShmSize > 0 ? { shmSize: hc.ShmSize } : {}),
    ...(typeof hc.OomScoreAdj === 'number' ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    ...(record.Mounts && record.Mounts.length > 0 ? { mounts: ociMounts(record.Mounts) } : {}),
    hostsFile: etc.hosts,
    resolvConf: etc.resolvConf,
    hostnameFile: etc.hostname,
  };
}
