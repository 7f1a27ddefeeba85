/**
 * How one CNI plugin is called (CNI spec, "Protocol parameters" and "Section 4: Plugin Delegation"),
 * as libcni builds it: the environment (`CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`,
 * `CNI_ARGS`, `CNI_PATH`) and the stdin config (the plugin's object with the network's `name` and
 * `cniVersion`, the previous result and the `runtimeConfig` of the capabilities it asks for). Also
 * what containerd's CRI plugin passes for a pod: the K8S_* args and the capability arguments. Pure.
 */
import { InvalidParameterError } from '../../../core/errors.js';
import type { CniNetworkConfig, CniPluginConf } from './cni-config.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

/** One attachment's arguments, libcni's RuntimeConf. */
export interface CniRuntimeConf {
  containerId: string;
  /** The network namespace's path; empty on a DEL whose namespace is gone (the spec allows it). */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs, in order. */
  args: Array<[string, string]>;
  /** Capability arguments by name; a plugin gets those its config's `capabilities` ask for. */
  capabilityArgs: Record<string, unknown>;
}

/** A pod's port as the CRI gives it (protocol `TCP`/`UDP`/`SCTP` or the enum's number). */
export interface PodPortMapping {
  protocol: string | number;
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}
export interface PodDnsConfig { servers?: string[]; searches?: string[]; options?: string[] }

/** What identifies a pod to the plugins. */
export interface PodIdentity {
  podId: string;
  podName: string;
  podNamespace: string;
  podUid: string;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** libcni's ValidateContainerID and ValidateInterfaceName, before any plugin runs. */
export function validateRuntimeConf(rt: CniRuntimeConf): void {
  if (!ID_RE.test(rt.containerId)) throw new InvalidParameterError(`invalid pod sandbox ID ${JSON.stringify(rt.containerId)} for CNI: it must match ${ID_RE.source}`);
  const n = rt.ifName;
  if (n === '' || n.length > 15 || n === '.' || n === '..' || /[/:\s]/.test(n)) throw new InvalidParameterError(`invalid interface name ${JSON.stringify(n)} for CNI: 1 to 15 characters, no '/', ':' or spaces`);
}

/** CNI_ARGS as containerd's CRI plugin sets them for a pod sandbox. */
export function podCniArgs(pod: PodIdentity): Array<[string, string]> {
  return [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', pod.podNamespace],
    ['K8S_POD_NAME', pod.podName],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.podId],
    ['K8S_POD_UID', pod.podUid],
  ];
}

const PROTOCOLS: Record<string, string> = { 0: 'tcp', 1: 'udp', 2: 'sctp', tcp: 'tcp', udp: 'udp', sctp: 'sctp' };

/**
 * The `portMappings` capability (the portmap plugin's input): only ports with a host port, the
 * protocol in lower case, `hostIP` only when one is set — containerd's toCNIPortMappings.
 */
export function portMappingsCapability(ports: readonly PodPortMapping[]): Array<Record<string, unknown>> {
  return ports
    .filter((p) => p.hostPort > 0)
    .map((p) => {
      const protocol = PROTOCOLS[String(p.protocol).toLowerCase()];
      if (!protocol) throw new InvalidParameterError(`port mapping ${p.hostPort}:${p.containerPort} has protocol ${JSON.stringify(p.protocol)}: use TCP, UDP or SCTP`);
      const m: Record<string, unknown> = { hostPort: p.hostPort, containerPort: p.containerPort, protocol };
      if (p.hostIp) m.hostIP = p.hostIp;
      return m;
    });
}

/**
 * The capability arguments of a pod: portMappings; dns when the pod has a DNS config (containerd
 * sends it only then; an all-empty one counts as none); cgroupPath when the pod has a cgroup parent
 * (containerd 1.7's, for the bandwidth plugin); and whatever else the caller adds.
 */
export function podCapabilityArgs(ports: readonly PodPortMapping[], dns: PodDnsConfig | undefined, cgroupParent?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { portMappings: portMappingsCapability(ports), ...extra };
  const d = { servers: dns?.servers ?? [], searches: dns?.searches ?? [], options: dns?.options ?? [] };
  if (d.servers.length + d.searches.length + d.options.length > 0) out.dns = d;
  if (cgroupParent) out.cgroupPath = cgroupParent;
  return out;
}

/** libcni's Args.AsEnv: the daemon's environment with the CNI variables set over it. */
export function pluginEnv(command: CniCommand, rt: CniRuntimeConf, binDirs: readonly string[], base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_ARGS: rt.args.map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_IFNAME: rt.ifName,
    CNI_PATH: binDirs.join(':'),
  };
}

/**
 * libcni's buildOneConfig: the plugin's own object with the list's name and cniVersion, the previous
 * result when there is one, and `runtimeConfig` holding the capability arguments the plugin asks for.
 */
export function pluginStdin(list: CniNetworkConfig, plugin: CniPluginConf, prevResult: Record<string, unknown> | undefined, rt: CniRuntimeConf): string {
  const conf: Record<string, unknown> = { ...plugin.raw, name: list.name, cniVersion: list.cniVersion };
  if (prevResult) conf.prevResult = prevResult;
  const runtimeConfig: Record<string, unknown> = {};
  for (const cap of Object.keys(plugin.capabilities)) {
    if (rt.capabilityArgs[cap] !== undefined) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  return JSON.stringify(conf);
}
