/**
 * A running container's published ports: each host port is bound (held) by berthd, then the
 * DNAT rules go in with one ruleset swap. IPv4 ports are DNAT. IPv6 ports are DNAT to the
 * container's IPv6 address where it has one; `[::1]`, and every IPv6 port of a container without
 * an IPv6 address, are forwarded by the held socket itself (dockerd's userland proxy), so
 * `-p 8080:80` answers on [::]:8080 and [::1]:8080 as on dockerd.
 */
import { isIPv6 } from 'node:net';
import { ConflictError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { NftPort } from '../../drivers/network/nft-ruleset.js';
import { holdPort, type HeldPort, type ProxyTarget } from '../../drivers/network/port-reservation.js';
import type { ContainerRecord } from '../containers/container-types.js';
import type { NetworkService } from './network-service.js';
import type { ContainerNetworking, PortMapping } from './network-types.js';
import { planPorts, type PlannedPort } from './published-ports.js';

const ANY4 = '0.0.0.0';
const ANY6 = '::';

/** The address one binding's host IP stands for: '' and 0.0.0.0 are every IPv4 address, :: every IPv6 one. */
const shownIp = (hostIp: string): string => (hostIp === '' ? ANY4 : hostIp);

function sameClaim(a: { proto: string; hostIp: string; hostPort: number }, b: { proto: string; hostIp: string; hostPort: number }): boolean {
  if (a.proto !== b.proto || a.hostPort !== b.hostPort) return false;
  const ipA = shownIp(a.hostIp);
  const ipB = shownIp(b.hostIp);
  if (isIPv6(ipA) !== isIPv6(ipB)) return false;
  return ipA === ipB || ipA === ANY4 || ipB === ANY4 || ipA === ANY6 || ipB === ANY6;
}

/** Where a container's traffic for one family goes: its first network's addresses. */
interface Addresses {
  ip4: string;
  ip6: string | undefined;
}

/**
 * A rootless daemon's way out (issue 23): its network namespace is not the host's, so each
 * published port is also forwarded from the host by a user-space forwarder (slirp4netns), to
 * `guestIp` in the namespace, where berthd's held socket passes it on to the container.
 */
export interface HostForwarder {
  guestIp: string;
  /** Refuses ports the user may not bind on the host, before anything is held. */
  check(port: number, hostIp: string): void;
  add(proto: 'tcp' | 'udp', hostIp: string, port: number): Promise<() => Promise<void>>;
}

export class PortPublisher {
  private readonly held = new Map<string, HeldPort[]>();

  constructor(private readonly d: { networks: NetworkService; log: Logger; hostForwarder?: HostForwarder | undefined }) {}

  /** Binds the container's ports and puts their rules in; the caller undoes all with release() on failure. */
  async publish(r: ContainerRecord): Promise<void> {
    const ns = r.NetworkSettings as ContainerNetworking;
    const planned = planPorts(r.HostConfig.PortBindings as Record<string, unknown>, r.Config.ExposedPorts, r.HostConfig.PublishAllPorts === true);
    const ports: Record<string, PortMapping[] | null> = {};
    for (const key of Object.keys(r.Config.ExposedPorts ?? {})) ports[key] = null;
    const first = Object.values(ns.Networks)[0];
    const nft: NftPort[] = [];
    const held: HeldPort[] = [];
    this.held.set(r.Id, held);
    if (first?.IPAddress) {
      const to: Addresses = { ip4: first.IPAddress, ip6: first.GlobalIPv6Address || undefined };
      const others = this.d.networks.allPorts().filter(([id]) => id !== r.Id).flatMap(([, p]) => p);
      for (const p of planned) {
        const isV6 = isIPv6(p.hostIp);
        if (this.d.hostForwarder && !isV6) {
          await this.forwardOne(p, to, others, nft, held, ports, r, this.d.hostForwarder);
          continue;
        }
        const h = await this.bindOne(p, p.hostIp, others, nft, r, isV6 ? proxyTarget(to, p.containerPort) : undefined);
        held.push(h);
        nft.push({ proto: p.proto, hostIp: p.hostIp, hostPort: h.port, containerIp: isV6 ? (to.ip6 ?? to.ip4) : to.ip4, containerPort: p.containerPort });
        (ports[p.key] ??= []).push({ HostIp: shownIp(p.hostIp), HostPort: String(h.port) });
        // Every address means IPv6 too, on the same port, as dockerd 20.10 shows it (`:::8080`).
        // A host without IPv6 (or with the port taken there) keeps the IPv4 binding alone.
        if (p.hostIp === '') {
          const h6 = await holdPort(p.proto, ANY6, h.port, proxyTarget(to, p.containerPort)).catch((err: unknown) => {
            this.d.log.debug({ err, id: r.Id, port: h.port }, 'published port has no IPv6 side');
            return undefined;
          });
          if (h6) {
            held.push(h6);
            nft.push({ proto: p.proto, hostIp: ANY6, hostPort: h.port, containerIp: to.ip6 ?? to.ip4, containerPort: p.containerPort });
            (ports[p.key] ??= []).push({ HostIp: ANY6, HostPort: String(h.port) });
          }
        }
      }
    }
    ns.Ports = ports;
    this.d.networks.setPorts(r.Id, nft);
    await this.d.networks.syncRules();
  }

  /**
   * Rootless: held in the namespace at the forwarder's guest address and proxied to the
   * container (DNAT there would not see the host's address), forwarded from the host's.
   */
  private async forwardOne(p: PlannedPort, to: Addresses, others: NftPort[], nft: NftPort[], held: HeldPort[], ports: Record<string, PortMapping[] | null>, r: ContainerRecord, fwd: HostForwarder): Promise<void> {
    if (p.proto === 'sctp') throw new ConflictError(`rootless berthd cannot publish SCTP port ${p.key}: slirp4netns forwards TCP and UDP only`);
    fwd.check(p.hostRange[0], p.hostIp);
    const inner = p.hostIp === '' || p.hostIp === ANY4 ? ANY4 : fwd.guestIp;
    const h = await this.bindOne(p, inner, others, nft, r, { host: to.ip4, port: p.containerPort });
    held.push(h);
    const undo = await fwd.add(p.proto, p.hostIp, h.port);
    held.push({ port: h.port, close: undo });
    nft.push({ proto: p.proto, hostIp: p.hostIp, hostPort: h.port, containerIp: to.ip4, containerPort: p.containerPort });
    (ports[p.key] ??= []).push({ HostIp: shownIp(p.hostIp), HostPort: String(h.port) });
  }

  private async bindOne(p: PlannedPort, hostIp: string, others: NftPort[], mine: NftPort[], r: ContainerRecord, target: ProxyTarget | undefined): Promise<HeldPort> {
    const [lo, hi] = p.hostRange;
    const candidates = lo === 0 ? [0] : Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    let last: unknown;
    for (const port of candidates) {
      if (port !== 0 && [...others, ...mine].some((o) => sameClaim(o, { proto: p.proto, hostIp, hostPort: port }))) {
        last = new ConflictError(`Bind for ${isIPv6(shownIp(hostIp)) ? `[${hostIp}]` : shownIp(hostIp)}:${port} failed: port is already allocated`);
        continue;
      }
      try {
        return await holdPort(p.proto, hostIp, port, target);
      } catch (err) {
        last = err;
      }
    }
    const msg = errorMessage(last);
    throw Object.assign(last instanceof Error ? last : new Error(msg), { message: `driver failed programming external connectivity on endpoint ${r.Name.slice(1)} (${r.Id.slice(0, 12)}): ${msg}` });
  }

  /** At exit (or a failed start): the held ports close and the rules go. */
  async release(r: ContainerRecord): Promise<void> {
    const held = this.held.get(r.Id) ?? [];
    this.held.delete(r.Id);
    await Promise.all(held.map((h) => h.close().catch(() => undefined)));
    const hadPorts = this.d.networks.allPorts().some(([id]) => id === r.Id);
    this.d.networks.setPorts(r.Id, undefined);
    if (hadPorts) await this.d.networks.syncRules().catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'removing port rules failed'));
  }

  /** After a daemon restart, for a container still running: hold its ports again (proxies restart), keep its rules. */
  async restore(r: ContainerRecord): Promise<void> {
    const ns = r.NetworkSettings;
    const first = ns ? Object.values(ns.Networks)[0] : undefined;
    if (!ns || !first?.IPAddress) return;
    const to: Addresses = { ip4: first.IPAddress, ip6: first.GlobalIPv6Address || undefined };
    const nft: NftPort[] = [];
    const held: HeldPort[] = [];
    for (const [key, list] of Object.entries(ns.Ports)) {
      const [port, proto = 'tcp'] = key.split('/');
      for (const b of list ?? []) {
        const hostIp = b.HostIp === ANY4 ? '' : b.HostIp;
        const isV6 = isIPv6(hostIp);
        const p: NftPort = { proto: proto as NftPort['proto'], hostIp, hostPort: Number(b.HostPort), containerIp: isV6 ? (to.ip6 ?? to.ip4) : to.ip4, containerPort: Number(port) };
        nft.push(p);
        await holdPort(p.proto, p.hostIp, p.hostPort, isV6 ? proxyTarget(to, p.containerPort) : undefined).then(
          (h) => held.push(h),
          (err: unknown) => this.d.log.warn({ err, id: r.Id, port: p.hostPort }, 'cannot hold a published port again'),
        );
      }
    }
    this.held.set(r.Id, held);
    this.d.networks.setPorts(r.Id, nft);
  }
}

/**
 * What an IPv6 held socket forwards to. Traffic a DNAT rule takes never reaches the socket
 * (other hosts, and the host's own global addresses, for a container with IPv6); the rest does:
 * ::1 always, and everything for a container without an IPv6 address (to its IPv4 one).
 */
function proxyTarget(to: Addresses, containerPort: number): ProxyTarget {
  return { host: to.ip6 ?? to.ip4, port: containerPort };
}
