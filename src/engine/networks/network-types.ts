/** Network shapes as the Engine API shows them (docker's field names), kept on disk. */

export interface IpamConfig {
  Subnet: string;
  /** Always set on the IPv4 pool; on an IPv6 pool only when the request gave one (as dockerd shows it). */
  Gateway?: string;
  IPRange?: string;
  /** `--aux-address`: names for addresses the IPAM never gives to a container. */
  AuxiliaryAddresses?: Record<string, string>;
}

/** A network's IPv4 pool: the first config, with its gateway. */
export function ipv4Config(r: NetworkRecord): (IpamConfig & { Gateway: string }) | undefined {
  return r.IPAM.Config.find((c) => !c.Subnet.includes(':')) as (IpamConfig & { Gateway: string }) | undefined;
}

export function ipv6Config(r: NetworkRecord): IpamConfig | undefined {
  return r.IPAM.Config.find((c) => c.Subnet.includes(':'));
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  /** Options: as the create request gave them (docker shows null when none were given). */
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** One container's endpoint on one network (docker's EndpointSettings). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  GwPriority: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface PortMapping {
  HostIp: string;
  HostPort: string;
}

/** What the record keeps of a container's networking (inspect's NetworkSettings derives from it). */
export interface ContainerNetworking {
  /** Network name → endpoint, in attachment order (the first one carries the default route). */
  Networks: Record<string, EndpointSettings>;
  /** The published ports while running: `80/tcp` → host bindings. */
  Ports: Record<string, PortMapping[] | null>;
  SandboxKey: string;
  /** Network name → the endpoint's interfaces (not shown by inspect). */
  Interfaces?: Record<string, EndpointInterface>;
  /**
   * Networks the container has joined (started on, or been connected to) since it was put on
   * them: dockerd 20.10 added the short ID to an endpoint's aliases only then, and compose v1
   * reconnects (with its links) a container whose aliases lack it (not shown by inspect).
   */
  Joined?: string[];
}

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';
export const MASQUERADE_OPTION = 'com.docker.network.bridge.enable_ip_masquerade';

/** Berth's own bookkeeping of a running endpoint: the host end of its veth and its name inside. */
export interface EndpointInterface {
  HostVeth: string;
  Name: string;
}
