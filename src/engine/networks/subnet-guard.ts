import { ForbiddenError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { hostRouteTable, ipv4Addresses, watchRoutes, type HostRoute } from '../../drivers/network/host-links.js';
import { formatCidr, overlaps, parseCidr, subnetsOf, type Cidr } from '../../drivers/network/ipv4.js';
import { ipv4Config, type NetworkRecord } from './network-types.js';

/** docker0's default subnet: Berth's default bridge never takes it, so both can run on one host. */
const DOCKER0_DEFAULT = parseCidr('172.17.0.0/16');

/** A network whose subnet a host route (not one of Berth's bridges) also covers. */
export interface RouteOverlap {
  network: string;
  subnet: string;
  route: string;
  dev: string;
}

/** What `berth network doctor` reports: a problem, and the command or flag that ends it. */
export interface DoctorFinding {
  Kind: 'route-overlap' | 'extra-bridge-address';
  Network: string;
  Subnet: string;
  Message: string;
  Fix: string;
}

/** IPv4 subnets of networks, by name. */
function subnetsOfNetworks(networks: readonly NetworkRecord[]): Array<{ name: string; subnet: Cidr }> {
  return networks.flatMap((r) => r.IPAM.Config.filter((c) => !c.Subnet.includes(':')).map((c) => ({ name: r.Name, subnet: parseCidr(c.Subnet) })));
}

/** Routes of the host that are not Berth's own bridges' (those are the networks themselves). */
function foreignRoutes(routes: readonly HostRoute[], bridges: ReadonlySet<string>): HostRoute[] {
  return routes.filter((r) => !bridges.has(r.dev));
}

export function findRouteOverlaps(networks: readonly NetworkRecord[], routes: readonly HostRoute[], bridges: ReadonlySet<string>): RouteOverlap[] {
  const foreign = foreignRoutes(routes, bridges).map((r) => ({ ...r, cidr: parseCidr(r.dst, { allowHost: true }) }));
  const out: RouteOverlap[] = [];
  for (const n of subnetsOfNetworks(networks)) {
    for (const r of foreign) if (overlaps(n.subnet, r.cidr)) out.push({ network: n.name, subnet: formatCidr(n.subnet), route: r.dst, dev: r.dev });
  }
  return out;
}

export function overlapWarning(o: RouteOverlap): string {
  return `network ${o.network} (${o.subnet}) overlaps the host route ${o.route}${o.dev ? ` via ${o.dev}` : ''}: its containers cannot reach hosts there; run "berth network doctor"`;
}

/**
 * The first subnet of the address pools that clashes with no network of ours and no route of
 * the host (a VPN, the LAN), as dockerd's automatic pools do; the default bridge also skips docker0's.
 */
export function pickFreeSubnet(pools: ReadonlyArray<{ base: Cidr; size: number }>, others: readonly NetworkRecord[], routes: readonly HostRoute[], bridges: ReadonlySet<string>, forDefault: boolean): Cidr {
  const taken = subnetsOfNetworks(others).map((n) => n.subnet);
  const foreign = foreignRoutes(routes, bridges).map((r) => parseCidr(r.dst, { allowHost: true }));
  for (const pool of pools) {
    for (const s of subnetsOf(pool.base, pool.size)) {
      if (taken.some((t) => overlaps(t, s)) || foreign.some((r) => overlaps(r, s))) continue;
      if (forDefault && overlaps(s, DOCKER0_DEFAULT)) continue;
      return s;
    }
  }
  throw new ForbiddenError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/**
 * Keeps networks and the host's routes apart: refuses a requested subnet a route covers, warns
 * (log and `info`) when a route appears over an existing network, and explains both to the
 * doctor. `bridges` gives the current network records' bridge names.
 */
export class SubnetGuard {
  private overlaps: RouteOverlap[] = [];
  private watcher: { close(): void } | undefined;

  constructor(
    private readonly networks: () => NetworkRecord[],
    private readonly bridgeOf: (r: NetworkRecord) => string,
    private readonly log: Logger,
  ) {}

  private bridges(): Set<string> {
    return new Set(this.networks().filter((r) => r.Driver === 'bridge').map((r) => this.bridgeOf(r)));
  }

  routes(): Promise<HostRoute[]> {
    return hostRouteTable();
  }

  pick(pools: ReadonlyArray<{ base: Cidr; size: number }>, others: readonly NetworkRecord[], routes: readonly HostRoute[], forDefault: boolean): Cidr {
    return pickFreeSubnet(pools, others, routes, this.bridges(), forDefault);
  }

  /** A subnet the user asked for: refused when a host route covers part of it. */
  async checkRequested(subnet: Cidr): Promise<void> {
    const clash = foreignRoutes(await this.routes(), this.bridges()).find((r) => overlaps(parseCidr(r.dst, { allowHost: true }), subnet));
    if (clash) {
      throw new ForbiddenError(
        `subnet ${formatCidr(subnet)} overlaps the host route ${clash.dst}${clash.dev ? ` via ${clash.dev}` : ''}: containers on it could not reach the hosts behind that route; choose another --subnet, or leave it out and Berth picks a free one`,
      );
    }
  }

  /** Checks now, then again whenever the host's routes change. */
  async start(): Promise<void> {
    await this.recheck();
    this.watcher = watchRoutes(() => void this.recheck());
  }

  close(): void {
    this.watcher?.close();
  }

  /** `info`'s warnings: one per overlap found at the last check. */
  warnings(): string[] {
    return this.overlaps.map(overlapWarning);
  }

  async recheck(): Promise<void> {
    try {
      const now = findRouteOverlaps(this.networks(), await this.routes(), this.bridges());
      const key = (o: RouteOverlap): string => `${o.network} ${o.route} ${o.dev}`;
      const known = new Set(this.overlaps.map(key));
      for (const o of now) if (!known.has(key(o))) this.log.warn(overlapWarning(o));
      this.overlaps = now;
    } catch (err) {
      this.log.warn({ err }, 'cannot read the host routes to check network subnets');
    }
  }

  /** Route overlaps, and addresses on Berth's bridges beyond the network's own gateway. */
  async doctor(): Promise<DoctorFinding[]> {
    await this.recheck();
    const out: DoctorFinding[] = this.overlaps.map((o) => ({
      Kind: 'route-overlap',
      Network: o.network,
      Subnet: o.subnet,
      Message: overlapWarning(o).replace(/; run "berth network doctor"$/, ''),
      Fix: `docker network rm ${o.network} && docker network create ${o.network} (Berth picks a subnet no route covers), or change the route on ${o.dev || 'the host'}`,
    }));
    for (const r of this.networks()) {
      const cfg = r.Driver === 'bridge' ? ipv4Config(r) : undefined;
      if (!cfg?.Gateway) continue;
      const bridge = this.bridgeOf(r);
      const own = `${cfg.Gateway}/${parseCidr(cfg.Subnet).bits}`;
      for (const addr of (await ipv4Addresses(bridge)).filter((a) => a !== own)) {
        out.push({
          Kind: 'extra-bridge-address',
          Network: r.Name,
          Subnet: cfg.Subnet,
          Message: `bridge ${bridge} of network ${r.Name} also has ${addr}, which Berth does not use: the host routes ${formatCidr(parseCidr(addr, { allowHost: true }))} to it`,
          Fix: `ip addr del ${addr} dev ${bridge}`,
        });
      }
    }
    return out;
  }
}
