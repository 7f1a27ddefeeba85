/**
 * A container's side of networking: which networks it joins (planned at create), its network
 * namespace, veths, addresses and published ports while it runs (set up at start, torn down
 * at exit), and its leases (released at rm). The namespace is a bind mount under the exec root
 * made before `runc create`, so it outlives berthd; the leases live on the data root, so a
 * container keeps its address across restarts and host reboots.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { attachVeth, createNetns, deleteLink, deleteNetns, listLinks } from '../../drivers/network/host-links.js';
import { ipToInt, parseCidr } from '../../drivers/network/ipv4.js';
import { contains6, ip6ToBig, parseCidr6 } from '../../drivers/network/ipv6.js';
import type { ContainerRecord } from '../containers/container-types.js';
import { parseLink } from '../containers/legacy-links.js';
import type { NetworkService } from './network-service.js';
import { ipv4Config, ipv6Config, type ContainerNetworking, type EndpointSettings, type NetworkRecord } from './network-types.js';
import { PortPublisher, type HostForwarder } from './port-publisher.js';

export type NetnsChoice = { kind: 'host' } | { kind: 'private' } | { kind: 'path'; path: string };

export interface AttachResult {
  netns: NetnsChoice;
  /** The container's addresses, for its /etc/hosts. */
  addresses: string[];
  /** The first network's IPv6 address, when it has one. */
  address6?: string;
  /** Set on user-defined networks: the embedded DNS server. */
  nameservers?: string[];
  /** `container:<id>` mode shares the target's generated files. */
  sharedFrom?: ContainerRecord;
}

export interface EndpointDeps {
  networks: NetworkService;
  execRoot: string;
  log: Logger;
  find: (ref: string) => ContainerRecord | undefined;
  save: (r: ContainerRecord) => Promise<void>;
  /** Rootless: publishes ports on the host through slirp4netns (port-publisher.ts). */
  hostForwarder?: HostForwarder | undefined;
}

const isUserNetwork = (mode: string): boolean => !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');

function emptyEndpoint(networkId: string): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** docker's classic MAC: 02:42 then the four address bytes. */
function macFor(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0'))].join(':');
}

export class ContainerEndpoints {
  private readonly ports: PortPublisher;
  /** Veth deletions of removed containers, still in the kernel (see detach). */
  private readonly deleting = new Set<Promise<void>>();

  constructor(private readonly d: EndpointDeps) {
    this.ports = new PortPublisher(d);
  }

  netnsPath(id: string): string {
    return join(this.d.execRoot, 'netns', id);
  }

  /** At create: the networks the container joins, checked, with what the request asked of each. */
  plan(mode: string, networkingConfig: unknown, macAddress: string | undefined): ContainerNetworking {
    const eps = ((networkingConfig as { EndpointsConfig?: Record<string, Partial<EndpointSettings> | null> } | undefined)?.EndpointsConfig ?? {}) as Record<string, Partial<EndpointSettings> | null>;
    const out: ContainerNetworking = { Networks: {}, Ports: {}, SandboxKey: '' };
    if (mode.startsWith('container:')) {
      const target = this.d.find(mode.slice('container:'.length));
      if (!target) throw new NotFoundError(`No such container: ${mode.slice('container:'.length)}`);
      return out;
    }
    const primary = mode === 'default' ? 'bridge' : mode;
    const names = [primary, ...Object.keys(eps).filter((n) => n !== primary && n !== mode && n !== 'default')];
    for (const name of names) {
      const net = this.knownNetwork(name);
      const req = eps[name] ?? (name === primary ? (eps[mode] ?? eps.default) : undefined) ?? {};
      if (names.length > 1 && (net.Driver !== 'bridge' || net.Name === 'bridge')) throw new InvalidParameterError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
      out.Networks[net.Name] = this.endpointFrom(net, req, name === primary ? macAddress : undefined);
    }
    return out;
  }

  /** At create an unknown network is bad input (400): a 404 would make the docker CLI try to pull the image. */
  private knownNetwork(name: string): NetworkRecord {
    try {
      return this.d.networks.get(name);
    } catch (err) {
      if (err instanceof NotFoundError) throw new InvalidParameterError(err.message);
      throw err;
    }
  }

  private endpointFrom(net: NetworkRecord, req: Partial<EndpointSettings>, macAddress: string | undefined): EndpointSettings {
    const ep = emptyEndpoint(net.Id);
    const user = isUserNetwork(net.Name);
    const wanted = req.IPAMConfig?.IPv4Address;
    if ((wanted || req.IPAMConfig?.IPv6Address) && !user) throw new InvalidParameterError('user specified IP address is supported on user defined networks only');
    const wanted6 = req.IPAMConfig?.IPv6Address;
    if (wanted6) this.checkIPv6Address(net, wanted6);
    if (wanted) {
      const subnet = parseCidr(ipv4Config(net)?.Subnet ?? '0.0.0.0/32');
      if ((ipToInt(wanted) & ~(2 ** (32 - subnet.bits) - 1)) >>> 0 !== subnet.base) throw new InvalidParameterError(`invalid IPv4 address ${wanted}: it is not in network ${net.Name}'s subnet ${net.IPAM.Config[0]?.Subnet}`);
    }
    const linkLocal = req.IPAMConfig?.LinkLocalIPs ?? [];
    for (const ip of linkLocal) if (isIP(ip) !== 4 || !ip.startsWith('169.254.')) throw new InvalidParameterError(`invalid link-local IP address ${ip}: Berth takes IPv4 ones in 169.254.0.0/16`);
    // docker shows the endpoint's IPAM settings as they were asked for: null when none were.
    if (req.IPAMConfig && typeof req.IPAMConfig === 'object') ep.IPAMConfig = { ...(wanted ? { IPv4Address: wanted } : {}), ...(wanted6 ? { IPv6Address: wanted6 } : {}), ...(linkLocal.length > 0 ? { LinkLocalIPs: [...linkLocal] } : {}) };
    if ((req.Aliases ?? []).length > 0 && !user) throw new InvalidParameterError('network-scoped alias is supported only for containers in user defined networks');
    ep.Aliases = req.Aliases && req.Aliases.length > 0 ? [...req.Aliases] : null;
    // Links on a network are names this container alone resolves (its embedded DNS), as dockerd's aliases.
    for (const l of req.Links ?? []) parseLink(l);
    ep.Links = req.Links && req.Links.length > 0 ? [...req.Links] : null;
    if (req.DriverOpts && typeof req.DriverOpts === 'object') ep.DriverOpts = { ...req.DriverOpts };
    const mac = req.MacAddress || macAddress || '';
    if (mac && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new InvalidParameterError(`invalid MAC address ${mac}`);
    if (mac && net.Driver !== 'bridge') throw new InvalidParameterError('conflicting options: mac-address and the network mode');
    ep.MacAddress = mac.toLowerCase();
    return ep;
  }

  /**
   * A requested IPv6 address: one, and on an IPv6-enabled network inside its pool. On a network
   * without IPv6 dockerd 20.10 keeps the request in the endpoint's IPAMConfig and configures none.
   */
  private checkIPv6Address(net: NetworkRecord, ip: string): void {
    if (isIP(ip) !== 6) throw new InvalidParameterError(`invalid IPv6 address: ${ip}`);
    const v6 = this.d.networks.ipv6Gateway(net);
    if (v6 && !contains6(parseCidr6(v6.subnet), ip6ToBig(ip))) throw new InvalidParameterError(`Invalid address ${ip}: It does not belong to any of this network's subnets (${v6.subnet})`);
  }

  /** At start: namespace, veths and addresses, then published ports; all undone if any step fails. */
  async attach(r: ContainerRecord): Promise<AttachResult> {
    const mode = r.HostConfig.NetworkMode;
    if (mode === 'host') return { netns: { kind: 'host' }, addresses: [] };
    if (mode === 'none') return { netns: { kind: 'private' }, addresses: [] };
    if (mode.startsWith('container:')) {
      const target = this.d.find(mode.slice('container:'.length));
      if (!target) throw new NotFoundError(`No such container: ${mode.slice('container:'.length)}`);
      if (!target.State.Running) throw new ConflictError(`cannot join network namespace of a non running container: container ${target.Id} is not running`);
      if (target.HostConfig.NetworkMode === 'host') return { netns: { kind: 'host' }, addresses: [], sharedFrom: target };
      const path = target.NetworkSettings?.SandboxKey || `/proc/${target.State.Pid}/ns/net`;
      return { netns: { kind: 'path', path }, addresses: [], sharedFrom: target };
    }
    const ns = (r.NetworkSettings ??= this.plan(mode, undefined, undefined));
    const path = this.netnsPath(r.Id);
    await createNetns(path);
    ns.SandboxKey = path;
    ns.Interfaces = {};
    try {
      let i = 0;
      for (const [name, ep] of Object.entries(ns.Networks)) await this.attachOne(r, name, ep, i++);
      await this.ports.publish(r);
    } catch (err) {
      await this.detach(r);
      throw err;
    }
    // As dockerd, a container on any user-defined network asks the embedded DNS (its first such network's).
    const user = Object.values(ns.Networks).find((e) => e.Gateway && isUserNetwork(this.d.networks.get(e.NetworkID).Name));
    return {
      netns: { kind: 'path', path },
      addresses: Object.values(ns.Networks).map((e) => e.IPAddress).filter((a) => a !== ''),
      ...(Object.values(ns.Networks)[0]?.GlobalIPv6Address ? { address6: Object.values(ns.Networks)[0]?.GlobalIPv6Address as string } : {}),
      ...(user ? { nameservers: [user.Gateway] } : {}),
    };
  }

  private async attachOne(r: ContainerRecord, name: string, ep: EndpointSettings, index: number): Promise<void> {
    const ns = r.NetworkSettings as ContainerNetworking;
    const net = this.d.networks.get(ep.NetworkID || name);
    const cfg = ipv4Config(net);
    if (!cfg) throw new ForbiddenError(`network ${net.Name} has no IPv4 pool`);
    const pool = { subnet: cfg.Subnet, gateway: cfg.Gateway, ...(cfg.IPRange ? { ipRange: cfg.IPRange } : {}), reserved: Object.values(cfg.AuxiliaryAddresses ?? {}) };
    const ip = await this.d.networks.ipam.allocate(net.Id, pool, r.Id, ep.IPAMConfig?.IPv4Address);
    const v6 = this.d.networks.ipv6Gateway(net);
    const reserved6 = Object.values(ipv6Config(net)?.AuxiliaryAddresses ?? {});
    const ip6 = v6 ? await this.d.networks.ipam.allocate(net.Id, { subnet: v6.subnet, gateway: v6.gateway, ...(v6.ipRange ? { ipRange: v6.ipRange } : {}), reserved: reserved6 }, r.Id, ep.IPAMConfig?.IPv6Address) : undefined;
    const bits = parseCidr(cfg.Subnet).bits;
    const used = new Set(Object.values(ns.Interfaces ?? {}).map((x) => x.Name));
    let ifName = `eth${index}`;
    for (let n = 0; used.has(ifName); n++) ifName = `eth${n}`;
    const hostVeth = `vb${r.Id.slice(0, 10)}${ifName.slice(3)}`.slice(0, 15);
    const mac = ep.MacAddress || macFor(ip);
    const extraAddresses = (ep.IPAMConfig?.LinkLocalIPs ?? []).map((a) => `${a}/16`);
    await attachVeth({ netns: this.netnsPath(r.Id), bridge: this.d.networks.bridgeOf(net), hostName: hostVeth, ifName, addressCidr: `${ip}/${bits}`, gateway: index === 0 && !net.Internal ? cfg.Gateway : undefined, address6Cidr: ip6 && v6 ? `${ip6}/${v6.bits}` : undefined, gateway6: ip6 && v6 && index === 0 && !net.Internal ? v6.gateway : undefined, mac, mtu: this.d.networks.mtuOf(net), extraAddresses });
    (ns.Interfaces ??= {})[name] = { HostVeth: hostVeth, Name: ifName };
    markJoined(ns, name);
    Object.assign(ep, {
      NetworkID: net.Id,
      EndpointID: randomBytes(32).toString('hex'),
      Gateway: cfg.Gateway,
      IPAddress: ip,
      IPPrefixLen: bits,
      IPv6Gateway: ip6 && v6 ? v6.gateway : '',
      GlobalIPv6Address: ip6 ?? '',
      GlobalIPv6PrefixLen: ip6 && v6 ? v6.bits : 0,
      MacAddress: mac,
      DNSNames: isUserNetwork(net.Name) ? [r.Name.slice(1), ...(ep.Aliases ?? []), r.Id.slice(0, 12)] : null,
    });
  }

  /**
   * At exit (or a failed start): ports, rules, veths and the namespace go; leases stay. For a
   * container being removed (`removing`), the veths' deletion is not waited for: the kernel
   * holds each for about 25 ms (an RCU grace period), a removed container's veth names never
   * come back, and settled() waits for them at daemon stop.
   */
  async detach(r: ContainerRecord, opts: { removing?: boolean } = {}): Promise<void> {
    await this.ports.release(r);
    const ns = r.NetworkSettings;
    if (!ns || !isBridgeMode(r.HostConfig.NetworkMode)) return;
    const veths = Object.values(ns.Interfaces ?? {}).map((itf) => deleteLink(itf.HostVeth).catch(() => undefined));
    if (opts.removing) for (const v of veths) this.track(v);
    await Promise.all([
      ...(opts.removing ? [] : veths),
      ns.SandboxKey ? deleteNetns(this.netnsPath(r.Id)).catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'removing the network namespace failed')) : undefined,
    ]);
    ns.Interfaces = {};
    ns.SandboxKey = '';
    ns.Ports = {};
    for (const ep of Object.values(ns.Networks)) Object.assign(ep, { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null });
  }

  private track(deletion: Promise<void>): void {
    this.deleting.add(deletion);
    void deletion.finally(() => this.deleting.delete(deletion));
  }

  /** Resolves once the veth deletions removals left running are done (at daemon stop). */
  async settled(): Promise<void> {
    await Promise.all([...this.deleting]);
  }

  /** Waits until every address handed out so far is on disk (allocations are fsynced in the background). */
  async leasesDurable(): Promise<void> {
    await this.d.networks.ipam.durable();
  }

  /** At rm: the container's addresses go back to the pools. */
  async release(r: ContainerRecord): Promise<void> {
    for (const ep of Object.values(r.NetworkSettings?.Networks ?? {})) if (ep.NetworkID) await this.d.networks.ipam.release(ep.NetworkID, r.Id);
  }

  /** After a daemon restart, for a container still running: hold its ports again, keep its rules. */
  async restore(r: ContainerRecord): Promise<void> {
    await this.ports.restore(r);
  }

  /** At daemon start, after restore: what a crash left (namespaces, veths, leases, rules) goes. */
  async reconcile(records: ContainerRecord[]): Promise<void> {
    const running = new Set(records.filter((r) => r.State.Running).map((r) => r.Id));
    const dir = join(this.d.execRoot, 'netns');
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      if (!running.has(id)) await deleteNetns(join(dir, id)).catch(() => undefined);
    }
    const bridges = new Set(this.d.networks.all().filter((n) => n.Driver === 'bridge').map((n) => this.d.networks.bridgeOf(n)));
    const keep = new Set(records.filter((r) => r.State.Running).flatMap((r) => Object.values(r.NetworkSettings?.Interfaces ?? {}).map((i) => i.HostVeth)));
    for (const link of await listLinks().catch(() => [])) {
      if (link.master && bridges.has(link.master) && link.ifname.startsWith('vb') && !keep.has(link.ifname)) await deleteLink(link.ifname).catch(() => undefined);
    }
    const ids = new Set(records.map((r) => r.Id));
    for (const n of this.d.networks.all()) await this.d.networks.ipam.prune(n.Id, (owner) => ids.has(owner));
    await this.d.networks.syncRules();
  }

  /** `network connect`: recorded now, and plugged in at once when the container runs. */
  async connect(netRef: string, containerRef: string, config: Partial<EndpointSettings> | undefined): Promise<void> {
    const net = this.d.networks.get(netRef);
    const r = this.d.find(containerRef);
    if (!r) throw new NotFoundError(`No such container: ${containerRef}`);
    if (!isBridgeMode(r.HostConfig.NetworkMode)) throw new ForbiddenError(`container sharing network namespace with another container or host cannot be connected to any other network`);
    if (net.Driver !== 'bridge') throw new ForbiddenError(`container cannot be disconnected from host network or connected to host network`);
    const ns = (r.NetworkSettings ??= { Networks: {}, Ports: {}, SandboxKey: '' });
    if (ns.Networks[net.Name]) throw new ForbiddenError(`endpoint with name ${r.Name.slice(1)} already exists in network ${net.Name}`);
    const ep = this.endpointFrom(net, config ?? {}, undefined);
    ns.Networks[net.Name] = ep;
    markJoined(ns, net.Name);
    if (r.State.Running) {
      try {
        await this.attachOne(r, net.Name, ep, Object.keys(ns.Networks).length - 1);
      } catch (err) {
        delete ns.Networks[net.Name];
        await this.d.networks.ipam.release(net.Id, r.Id);
        throw err;
      }
    }
    await this.leasesDurable();
    await this.d.save(r);
  }

  async disconnect(netRef: string, containerRef: string): Promise<void> {
    const net = this.d.networks.get(netRef);
    const r = this.d.find(containerRef);
    if (!r) throw new NotFoundError(`No such container: ${containerRef}`);
    const ns = r.NetworkSettings;
    if (!ns?.Networks[net.Name]) throw new ForbiddenError(`container ${r.Id} is not connected to network ${net.Name}`);
    const itf = ns.Interfaces?.[net.Name];
    if (itf) await deleteLink(itf.HostVeth);
    delete ns.Interfaces?.[net.Name];
    delete ns.Networks[net.Name];
    ns.Joined = (ns.Joined ?? []).filter((n) => n !== net.Name);
    await this.d.networks.ipam.release(net.Id, r.Id);
    await this.d.save(r);
  }
}

function markJoined(ns: ContainerNetworking, name: string): void {
  if (!(ns.Joined ?? []).includes(name)) ns.Joined = [...(ns.Joined ?? []), name];
}

export function isBridgeMode(mode: string): boolean {
  return mode !== 'host' && mode !== 'none' && !mode.startsWith('container:');
}
