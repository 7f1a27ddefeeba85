/**
 * IPv6 pools of networks: a requested one checked as dockerd checks it, or a unique local
 * prefix (RFC 4193) picked when none was given — dockerd ≥ 27 does the same from fd00::/8, so
 * `--ipv6` alone gives a working network instead of 20.10's "could not find an available pool".
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { errorMessage, ForbiddenError, InvalidParameterError } from '../../core/errors.js';
import type { HostRoute } from '../../drivers/network/host-links.js';
import { bigToIp6, contains6, formatCidr6, ip6ToBig, overlaps6, parseCidr6, type Cidr6 } from '../../drivers/network/ipv6.js';
import type { IpamConfig, NetworkRecord } from './network-types.js';

export interface Ipv6PoolRequest {
  Subnet?: string | null;
  Gateway?: string | null;
  IPRange?: string | null;
  AuxiliaryAddresses?: Record<string, string> | null;
}

/** IPv6 subnets of IPv6-enabled networks (only those are ever configured, so only those can clash). */
export function ipv6SubnetsInUse(records: Iterable<NetworkRecord>): Array<{ name: string; subnet: Cidr6 }> {
  return [...records].flatMap((r) => (r.EnableIPv6 ? r.IPAM.Config.filter((c) => c.Subnet.includes(':')).map((c) => ({ name: r.Name, subnet: parseCidr6(c.Subnet) })) : []));
}

/**
 * A requested IPv6 pool, checked, kept as given (dockerd shows the subnet as written and a
 * gateway only when one was asked for). Only pools of IPv6-enabled networks are ever used,
 * so only those must not overlap.
 */
export function checkIpv6Pool(req: Ipv6PoolRequest, enabled: boolean, records: Iterable<NetworkRecord>): IpamConfig {
  // docker-py sends the fields it was not given as null.
  const gateway = req.Gateway ?? undefined;
  const ipRange = req.IPRange ?? undefined;
  if (!req.Subnet) throw new InvalidParameterError('an IPv6 gateway or IP range needs an IPv6 --subnet');
  let subnet: Cidr6;
  try {
    subnet = parseCidr6(req.Subnet);
  } catch (err) {
    throw new InvalidParameterError(`Invalid subnet ${req.Subnet} : ${errorMessage(err)}`);
  }
  if (subnet.bits > 126) throw new InvalidParameterError(`subnet ${req.Subnet} is too small: use a prefix of /126 or shorter`);
  const inSubnet = (ip: unknown): boolean => typeof ip === 'string' && isIP(ip) === 6 && contains6(subnet, ip6ToBig(ip)) && ip6ToBig(ip) !== subnet.base;
  if (gateway !== undefined && !inSubnet(gateway)) throw new InvalidParameterError(`invalid gateway ${gateway}: it is not a host address of subnet ${formatCidr6(subnet)}`);
  if (ipRange !== undefined) {
    let range: Cidr6;
    try {
      range = parseCidr6(ipRange);
    } catch (err) {
      throw new InvalidParameterError(`invalid ip-range ${ipRange}: ${errorMessage(err)}`);
    }
    if (range.bits < subnet.bits || !contains6(subnet, range.base)) throw new InvalidParameterError(`invalid ip-range ${ipRange}: it is not inside subnet ${formatCidr6(subnet)}`);
  }
  const aux = req.AuxiliaryAddresses ?? {};
  for (const [key, ip] of Object.entries(aux)) if (!inSubnet(ip)) throw new InvalidParameterError(`invalid auxiliary address ${key}=${String(ip)}: it is not an address of subnet ${formatCidr6(subnet)}`);
  if (enabled) {
    const clash = ipv6SubnetsInUse(records).find((n) => overlaps6(n.subnet, subnet));
    if (clash) throw new ForbiddenError(`invalid pool request: Pool overlaps with other one on this address space (${req.Subnet} overlaps ${formatCidr6(clash.subnet)} of network ${clash.name})`);
  }
  return { Subnet: req.Subnet, ...(ipRange !== undefined ? { IPRange: ipRange } : {}), ...(gateway !== undefined ? { Gateway: gateway } : {}), ...(Object.keys(aux).length > 0 ? { AuxiliaryAddresses: { ...aux } } : {}) };
}

/** A requested subnet that a host route (not one of Berth's bridges) covers: refused with the route named. */
export function checkIpv6Routes(subnet: Cidr6, routes: readonly HostRoute[], bridges: ReadonlySet<string>): void {
  const clash = routes.find((r) => !bridges.has(r.dev) && overlaps6(parseCidr6(r.dst), subnet));
  if (clash) {
    throw new ForbiddenError(
      `subnet ${formatCidr6(subnet)} overlaps the host route ${clash.dst}${clash.dev ? ` via ${clash.dev}` : ''}: containers on it could not reach the hosts behind that route; choose another IPv6 --subnet, or leave it out and Berth picks a unique local one`,
    );
  }
}

/**
 * A random unique local /64 (fd + 40 random bits + subnet 0) that overlaps no network of ours
 * and no route of the host. Random, as RFC 4193 asks: two hosts (or data roots) joined later by
 * a VPN almost never collide, which fixed pools cannot promise.
 */
export function pickUla64(taken: readonly Cidr6[], routes: readonly HostRoute[], bridges: ReadonlySet<string>, random: (n: number) => Buffer = randomBytes): IpamConfig {
  const foreign = routes.filter((r) => !bridges.has(r.dev)).map((r) => parseCidr6(r.dst));
  for (let i = 0; i < 32; i++) {
    const id = random(5).reduce((n, b) => (n << 8n) | BigInt(b), 0n);
    const base = ((0xfdn << 40n) | id) << 80n;
    const candidate: Cidr6 = { base, bits: 64 };
    if (taken.some((t) => overlaps6(t, candidate)) || foreign.some((r) => overlaps6(r, candidate))) continue;
    return { Subnet: formatCidr6(candidate), Gateway: bigToIp6(base + 1n) };
  }
  throw new ForbiddenError('could not find an available, non-overlapping IPv6 unique local prefix: give an IPv6 --subnet');
}

