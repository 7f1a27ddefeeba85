/**
 * The predefined `bridge` network, from dockerd's flags (-b, --bip, --fixed-cidr, --ipv6,
 * --fixed-cidr-v6) and what the host already has: an existing bridge keeps its addresses (a new
 * data root must not pile another subnet on it at every start), and its IPv6 prefix too.
 */
import { InvalidParameterError } from '../../core/errors.js';
import { ipv4Addresses, ipv6Addresses, type HostRoute } from '../../drivers/network/host-links.js';
import { contains, formatCidr, intToIp, ipToInt, parseCidr, type Cidr } from '../../drivers/network/ipv4.js';
import { bigToIp6, formatCidr6, ip6ToBig, parseCidr6 } from '../../drivers/network/ipv6.js';
import { pickUla64, ipv6SubnetsInUse } from './network-pools.js';
import { BRIDGE_NAME_OPTION, ipv4Config, ipv6Config, MASQUERADE_OPTION, MTU_OPTION, type IpamConfig, type NetworkRecord } from './network-types.js';

export interface DefaultBridgeFlags {
  bridge: string;
  bip: string | undefined;
  fixedCidr: string | undefined;
  /** --ipv6: the default bridge is dual-stack. */
  ipv6: boolean;
  /** --fixed-cidr-v6: its IPv6 prefix; a unique local /64 is picked (and kept) when absent. */
  fixedCidrV6: string | undefined;
  mtu: number;
}

export interface DefaultBridgeContext {
  existing: NetworkRecord | undefined;
  /** Every other network (for subnets in use). */
  others: NetworkRecord[];
  pickSubnet: () => Promise<Cidr>;
  routes6: () => Promise<HostRoute[]>;
  bridges: ReadonlySet<string>;
}

export interface DefaultBridgePlan {
  /** The IPAM configs (IPv4 first) and options of the record to save. */
  config: IpamConfig[];
  enableIPv6: boolean;
  options: Record<string, string>;
  /** Addresses on the bridge from an earlier IPv6 configuration, to remove. */
  staleAddresses: string[];
}

async function ipv4Pool(o: DefaultBridgeFlags, c: DefaultBridgeContext): Promise<IpamConfig> {
  let subnet: string;
  let gateway: string;
  let adopted: string | undefined;
  if (o.bip) {
    const host = parseCidr(o.bip, { allowHost: true });
    const gw = ipToInt(o.bip.split('/')[0] as string);
    if (gw === host.base) throw new InvalidParameterError(`--bip ${o.bip}: give the bridge's own address, e.g. ${intToIp(host.base + 1)}/${host.bits}`);
    subnet = formatCidr(host);
    gateway = intToIp(gw);
  } else if (c.existing && c.existing.Options[BRIDGE_NAME_OPTION] === o.bridge && ipv4Config(c.existing)) {
    ({ Subnet: subnet, Gateway: gateway } = ipv4Config(c.existing) as IpamConfig & { Gateway: string });
  } else if ((adopted = (await ipv4Addresses(o.bridge))[0])) {
    // A bridge left by an earlier data root (or made by hand) keeps its address, as dockerd
    // adopts docker0's: adding a new subnet at every start would pile addresses on it.
    subnet = formatCidr(parseCidr(adopted, { allowHost: true }));
    gateway = adopted.split('/')[0] as string;
  } else {
    const picked = await c.pickSubnet();
    subnet = formatCidr(picked);
    gateway = intToIp(picked.base + 1);
  }
  if (o.fixedCidr && !contains(parseCidr(subnet), parseCidr(o.fixedCidr).base)) throw new InvalidParameterError(`--fixed-cidr ${o.fixedCidr} is not inside the bridge's subnet ${subnet}`);
  return { Subnet: subnet, Gateway: gateway, ...(o.fixedCidr ? { IPRange: o.fixedCidr } : {}) };
}

/** The same order of preference for IPv6: the flag, the record's, the bridge's own, a new ULA. */
async function ipv6Pool(o: DefaultBridgeFlags, c: DefaultBridgeContext): Promise<IpamConfig> {
  if (o.fixedCidrV6) {
    const s = parseCidr6(o.fixedCidrV6);
    if (s.bits > 126) throw new InvalidParameterError(`--fixed-cidr-v6 ${o.fixedCidrV6} is too small: use a prefix of /126 or shorter (a /64 is usual)`);
    return { Subnet: formatCidr6(s), Gateway: bigToIp6(s.base + 1n) };
  }
  const kept = c.existing?.EnableIPv6 && c.existing.Options[BRIDGE_NAME_OPTION] === o.bridge ? ipv6Config(c.existing) : undefined;
  if (kept) return kept;
  const adopted = (await ipv6Addresses(o.bridge))[0];
  if (adopted) return { Subnet: formatCidr6(parseCidr6(adopted)), Gateway: adopted.split('/')[0] as string };
  return pickUla64(ipv6SubnetsInUse(c.others).map((n) => n.subnet), await c.routes6(), c.bridges);
}

export async function planDefaultBridge(o: DefaultBridgeFlags, c: DefaultBridgeContext): Promise<DefaultBridgePlan> {
  const config = [await ipv4Pool(o, c)];
  if (o.ipv6) config.push(await ipv6Pool(o, c));
  // The prefix Berth gave the bridge before (--ipv6 turned off, or --fixed-cidr-v6 changed)
  // would keep routing to it. Only Berth's own: an address someone else put there stays.
  const was = c.existing?.EnableIPv6 ? ipv6Config(c.existing) : undefined;
  const wasGateway = was ? (was.Gateway ?? bigToIp6(parseCidr6(was.Subnet).base + 1n)) : undefined;
  const now = config[1]?.Gateway;
  const staleAddresses = was && wasGateway && (!now || ip6ToBig(now) !== ip6ToBig(wasGateway)) ? [`${wasGateway}/${parseCidr6(was.Subnet).bits}`] : [];
  return {
    config,
    enableIPv6: o.ipv6,
    staleAddresses,
    options: {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      [MASQUERADE_OPTION]: 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [BRIDGE_NAME_OPTION]: o.bridge,
      [MTU_OPTION]: String(o.mtu),
    },
  };
}
