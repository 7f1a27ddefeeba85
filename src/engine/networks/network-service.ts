import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { deleteLink, ensureBridge, hostRaRoutes, hostRouteTable6, removeAddresses, setSysctl } from '../../drivers/network/host-links.js';
import { Ipam } from '../../drivers/network/ipam.js';
import { contains, formatCidr, intToIp, ipToInt, overlaps, parseCidr, type Cidr } from '../../drivers/network/ipv4.js';
import { bigToIp6, parseCidr6 } from '../../drivers/network/ipv6.js';
import { applyRuleset, renderRuleset, type NftNetwork, type NftPort } from '../../drivers/network/nft-ruleset.js';
import { JsonRecordDir } from '../../store/metadata/json-record-dir.js';
import { checkFilterKeys, labelsMatch, type Filters } from '../../core/filters.js';
import { parseUntil } from '../images/image-service.js';
import type { ContainerRecord } from '../containers/container-types.js';
import { EmbeddedDns } from './embedded-dns.js';
import { SubnetGuard } from './subnet-guard.js';
import { FirewallPublisher, type FirewallMode } from './firewall-publisher.js';
import { planDefaultBridge } from './default-bridge.js';
import { checkIpv6Pool, checkIpv6Routes, ipv6SubnetsInUse, pickUla64, type Ipv6PoolRequest } from './network-pools.js';
import { BRIDGE_NAME_OPTION, ipv4Config, ipv6Config, MASQUERADE_OPTION, MTU_OPTION, type EndpointSettings, type IpamConfig, type NetworkRecord } from './network-types.js';
import { parseLink } from '../containers/legacy-links.js';
import { compareStrings } from '../../core/compare.js';
import { isoTime } from '../../core/utc-time.js';

export interface NetworkOptions {
  /** The default bridge's interface name (dockerd's -b/--bridge). */
  bridge: string;
  /** The default bridge's gateway address with prefix (--bip). */
  bip: string | undefined;
  fixedCidr: string | undefined;
  /** --ipv6 and --fixed-cidr-v6: the default bridge is dual-stack. */
  ipv6: boolean;
  fixedCidrV6: string | undefined;
  addressPools: Array<{ base: Cidr; size: number }>;
  iptables: boolean;
  ipForward: boolean;
  mtu: number;
  /** Berth's own nftables table (ip family). */
  nftTable: string;
  firewallMode: FirewallMode;
  /** The containers attached to networks (the registry's), for names, ports and `inspect`. */
  containers: AttachedContainers;
  /** The host's resolvers: where the embedded DNS forwards. */
  upstreams: string[];
}

export interface NetworkCreateRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate?: boolean;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string | null; Gateway?: string | null; IPRange?: string | null; AuxiliaryAddresses?: Record<string, string> | null }>; Options?: Record<string, string> | null };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);
const NETWORK_FILTERS = new Set(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);

export const DEFAULT_ADDRESS_POOLS = [
  { base: parseCidr('172.16.0.0/12'), size: 16 },
  { base: parseCidr('192.168.0.0/16'), size: 20 },
];

/** Who is attached where: given by the container side. */
export type AttachedContainers = () => ContainerRecord[];

/**
 * Networks: the predefined `bridge`, `host` and `none`, and user-defined bridge networks, each
 * a Linux bridge with an IPAM pool, an embedded DNS server and its part of Berth's nft table.
 */
export class NetworkService {
  private readonly records = new Map<string, NetworkRecord>();
  private readonly store: JsonRecordDir<NetworkRecord>;
  readonly ipam: Ipam;
  readonly dns: EmbeddedDns;
  readonly guard: SubnetGuard;
  readonly firewall: FirewallPublisher;
  /** Published ports of running containers, by container ID: the input of the nft ruleset. */
  private readonly ports = new Map<string, NftPort[]>();
  private nftChain: Promise<unknown> = Promise.resolve();
  /** The ruleset last loaded into the kernel by syncRules. */
  private appliedRuleset: string | undefined;
  private ipv6Forwarding = false;

  constructor(private readonly dataRoot: string, readonly options: NetworkOptions, private readonly log: Logger) {
    this.store = new JsonRecordDir<NetworkRecord>(join(dataRoot, 'network', 'networks'));
    this.ipam = new Ipam(join(dataRoot, 'network', 'ipam'));
    this.dns = new EmbeddedDns((net, name, source) => this.lookupName(net, name, source), (net, source) => this.upstreamsFor(net, source), log);
    this.guard = new SubnetGuard(() => [...this.records.values()], (r) => this.bridgeOf(r), log);
    const zoneTable = `${options.nftTable}_zones`;
    const firewall = { chainName: `${options.nftTable.toUpperCase()}-FWD`, zoneTable, ownTables: new Set([options.nftTable, zoneTable]), mode: options.firewallMode, enabled: options.iptables, log };
    this.firewall = new FirewallPublisher(firewall, () => ({
      bridges: this.bridgeNets().map((n) => ({ name: n.bridge, internal: n.internal, masquerade: n.masquerade })),
      ports: [...this.ports].flatMap(([id, ports]) => ports.map((port) => ({ containerId: id, name: this.options.containers().find((c) => c.Id === id)?.Name.slice(1) ?? id.slice(0, 12), port }))),
    }));
  }

  /** Loads networks, makes the predefined ones and every bridge; the ruleset comes with reconcile(). */
  async init(): Promise<void> {
    await this.store.init();
    await this.ipam.init();
    for (const r of await this.store.all()) this.records.set(r.Id, r);
    if (this.options.ipForward) await setSysctl('net.ipv4.ip_forward', '1').catch((err: unknown) => this.log.warn({ err }, 'cannot enable IP forwarding'));
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.findByName(name)) await this.save(this.baseRecord(name, driver, {}, [], false, {}));
    }
    // dockerd's `-b none`: no default bridge; containers must name a network.
    if (this.options.bridge === 'none') {
      const old = this.findByName('bridge');
      if (old) await this.dropNetwork(old);
    } else await this.ensureDefaultBridge();
    for (const r of this.records.values()) {
      if (r.Driver !== 'bridge') continue;
      await this.bringUp(r).catch((err: unknown) => this.log.error({ err, network: r.Name }, 'cannot set up network'));
    }
    await this.guard.start();
    await this.firewall.start();
  }

  private async bringUp(r: NetworkRecord): Promise<void> {
    const cfg = ipv4Config(r);
    const v6 = this.ipv6Gateway(r);
    await ensureBridge(this.bridgeOf(r), cfg ? `${cfg.Gateway}/${parseCidr(cfg.Subnet).bits}` : undefined, this.mtuOf(r), v6 ? `${v6.gateway}/${v6.bits}` : undefined);
    if (v6 && this.options.ipForward) await this.forwardIpv6();
    if (r.Name !== 'bridge' && cfg) await this.dns.listen(r.Id, cfg.Gateway).catch((err: unknown) => this.log.warn({ err, network: r.Name }, 'embedded DNS cannot listen: names will not resolve on this network'));
  }

  /**
   * IPv6 has no per-interface forwarding switch: containers reach beyond their bridge only with
   * `all.forwarding` on, as dockerd sets it. A host that takes its own IPv6 route from router
   * advertisements stops doing so (accept_ra=1 is ignored when forwarding): say so once.
   */
  private async forwardIpv6(): Promise<void> {
    if (this.ipv6Forwarding) return;
    this.ipv6Forwarding = true;
    const was = (await readFile('/proc/sys/net/ipv6/conf/all/forwarding', 'utf8').catch(() => '1')).trim();
    if (was === '1') return;
    await setSysctl('net.ipv6.conf.all.forwarding', '1').catch((err: unknown) => this.log.warn({ err }, 'cannot enable IPv6 forwarding: containers on IPv6 networks reach only their own network'));
    const fromRa = await hostRaRoutes();
    if (fromRa.length > 0) {
      this.log.warn(`IPv6 forwarding is now on: interfaces with accept_ra=1 (${fromRa.join(', ')}) stop accepting router advertisements; set net.ipv6.conf.<interface>.accept_ra=2 to keep their routes`);
    }
  }

  private async ensureDefaultBridge(): Promise<void> {
    const o = this.options;
    const existing = this.findByName('bridge');
    const others = [...this.records.values()].filter((r) => r.Name !== 'bridge');
    const plan = await planDefaultBridge(o, {
      existing,
      others,
      pickSubnet: () => this.pickSubnet(others, true),
      routes6: () => hostRouteTable6(),
      bridges: this.bridgeNames(),
    });
    const record = existing ? { ...existing, IPAM: { ...existing.IPAM, Config: plan.config }, Options: plan.options } : this.baseRecord('bridge', 'bridge', plan.options, plan.config, false, {});
    record.EnableIPv6 = plan.enableIPv6;
    if (existing && existing.Options[BRIDGE_NAME_OPTION] && existing.Options[BRIDGE_NAME_OPTION] !== o.bridge) {
      await deleteLink(existing.Options[BRIDGE_NAME_OPTION]).catch(() => undefined);
    } else await removeAddresses(o.bridge, plan.staleAddresses);
    await this.save(record);
  }

  private async pickSubnet(others: NetworkRecord[], forDefault: boolean): Promise<Cidr> {
    return this.guard.pick(this.options.addressPools, others, await this.guard.routes(), forDefault);
  }

  private baseRecord(name: string, driver: NetworkRecord['Driver'], options: Record<string, string>, config: IpamConfig[], internal: boolean, labels: Record<string, string>): NetworkRecord {
    return {
      Name: name,
      Id: newId(),
      Created: isoTime(),
      Scope: 'local',
      Driver: driver,
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: config },
      Internal: internal,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: options,
      Labels: labels,
    };
  }

  private async save(r: NetworkRecord): Promise<void> {
    await this.store.put(r.Id, r);
    this.records.set(r.Id, r);
  }

  private bridgeNames(): Set<string> {
    return new Set([...this.records.values()].filter((r) => r.Driver === 'bridge').map((r) => this.bridgeOf(r)));
  }

  bridgeOf(r: NetworkRecord): string {
    return r.Options[BRIDGE_NAME_OPTION] ?? `br-${r.Id.slice(0, 12)}`;
  }

  mtuOf(r: NetworkRecord): number {
    const m = Number(r.Options[MTU_OPTION]);
    return Number.isInteger(m) && m > 0 ? m : this.options.mtu;
  }

  all(): NetworkRecord[] {
    return [...this.records.values()];
  }

  findByName(name: string): NetworkRecord | undefined {
    return [...this.records.values()].find((r) => r.Name === name);
  }

  /**
   * By full ID, full name, or unique ID prefix, as dockerd's findUniqueNetwork resolves them. Two
   * networks can share a name (made at API < 1.44 with CheckDuplicate false): the name is then
   * ambiguous, and only an ID names one of them.
   */
  get(ref: string): NetworkRecord {
    const byId = this.records.get(ref);
    if (byId) return byId;
    const byName = [...this.records.values()].filter((r) => r.Name === ref);
    if (byName.length > 1) throw new InvalidParameterError(`network ${ref} is ambiguous (${byName.length} matches found based on name)`);
    if (byName[0]) return byName[0];
    const prefix = [...this.records.values()].filter((r) => ref !== '' && r.Id.startsWith(ref));
    if (prefix.length > 1) throw new InvalidParameterError(`network ${ref} is ambiguous (${prefix.length} matches found based on ID prefix)`);
    if (prefix[0]) return prefix[0];
    throw new NotFoundError(`network ${ref} not found`);
  }

  /** The default bridge's gateway: what `--add-host name:host-gateway` points at. */
  hostGateway(): string {
    return this.findByName('bridge')?.IPAM.Config[0]?.Gateway ?? '127.0.0.1';
  }

  /**
   * An IPv6-enabled network's gateway (the request's, else the subnet's first host address, as
   * dockerd picks it) and prefix length; undefined when IPv6 is off, though a pool be recorded.
   */
  ipv6Gateway(r: NetworkRecord): { gateway: string; bits: number; subnet: string; ipRange?: string } | undefined {
    const cfg = ipv6Config(r);
    if (!r.EnableIPv6 || !cfg) return undefined;
    const subnet = parseCidr6(cfg.Subnet);
    return { gateway: cfg.Gateway ?? bigToIp6(subnet.base + 1n), bits: subnet.bits, subnet: cfg.Subnet, ...(cfg.IPRange ? { ipRange: cfg.IPRange } : {}) };
  }

  /**
   * `POST /networks/create`. dockerd takes any name but the predefined ones (spaces too). Before
   * API 1.44 a request with `CheckDuplicate: false` may reuse a name (with a warning, as dockerd
   * 20.10 did); from 1.44 on names are unique whatever the request says.
   */
  async create(body: NetworkCreateRequest, opts: { allowDuplicateName?: boolean } = {}): Promise<{ Id: string; Warning: string }> {
    const name = typeof body.Name === 'string' ? body.Name : '';
    if (name.trim() === '') throw new InvalidParameterError('a network needs a name');
    if (PREDEFINED.has(name)) throw new ForbiddenError(`operation is not permitted on predefined ${name} network `);
    const same = this.findByName(name);
    if (same && !opts.allowDuplicateName) throw new ConflictError(`network with name ${name} already exists`);
    const warning = same ? `Network with name ${name} (id : ${same.Id}) already exists` : '';
    const driver = body.Driver || 'bridge';
    if (driver !== 'bridge') throw new NotImplementedError(`network driver "${driver}" is not supported: Berth makes bridge networks`);
    if (body.IPAM?.Driver && body.IPAM.Driver !== 'default') throw new NotImplementedError(`IPAM driver "${body.IPAM.Driver}" is not supported`);
    const all = body.IPAM?.Config ?? [];
    const isV6 = (c: (typeof all)[number]): boolean => [c.Subnet, c.Gateway, c.IPRange].some((v) => typeof v === 'string' && v.includes(':'));
    const configs = all.filter((c) => !isV6(c));
    const configs6 = all.filter(isV6);
    if (configs.length > 1 || configs6.length > 1) throw new NotImplementedError('more than one IPAM pool of a family per network is not supported by this Berth version yet');
    const enableIPv6 = body.EnableIPv6 === true;
    const config6 = await this.ipv6PoolFor(configs6[0], enableIPv6);
    const options = { ...(body.Options ?? {}) };
    for (const key of Object.keys(options)) {
      if (![BRIDGE_NAME_OPTION, MTU_OPTION, MASQUERADE_OPTION, 'com.docker.network.bridge.enable_icc', 'com.docker.network.bridge.host_binding_ipv4'].includes(key)) {
        throw new NotImplementedError(`bridge driver option "${key}" is not supported by this Berth version`);
      }
    }
    if (options[MTU_OPTION] !== undefined && !(Number(options[MTU_OPTION]) >= 68 && Number(options[MTU_OPTION]) <= 65535)) throw new InvalidParameterError(`invalid MTU "${options[MTU_OPTION]}"`);
    const bridge = options[BRIDGE_NAME_OPTION];
    if (bridge !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new InvalidParameterError(`invalid bridge name "${bridge}": up to 15 of [A-Za-z0-9_.-]`);
    if (bridge !== undefined && [...this.records.values()].some((r) => r.Options[BRIDGE_NAME_OPTION] === bridge)) throw new ConflictError(`bridge name ${bridge} is already used by another network`);
    const others = [...this.records.values()];
    const req = configs[0] ?? {};
    let subnet: Cidr;
    if (req.Subnet) {
      subnet = parseCidr(req.Subnet);
      if (subnet.bits > 30) throw new InvalidParameterError(`subnet ${req.Subnet} is too small: use a prefix of /30 or shorter`);
      const clash = others.find((r) => r.IPAM.Config.some((c) => !c.Subnet.includes(':') && overlaps(parseCidr(c.Subnet), subnet)));
      if (clash) throw new ForbiddenError(`invalid pool request: Pool overlaps with other one on this address space (${req.Subnet} overlaps ${clash.IPAM.Config[0]?.Subnet} of network ${clash.Name})`);
      await this.guard.checkRequested(subnet);
    } else {
      if (req.Gateway || req.IPRange) throw new InvalidParameterError('a gateway or IP range needs a --subnet');
      subnet = await this.pickSubnet(others, false);
    }
    const gateway = req.Gateway ?? intToIp(subnet.base + 1);
    const gw = ipToInt(gateway);
    if (!contains(subnet, gw) || gw === subnet.base) throw new InvalidParameterError(`invalid gateway ${gateway}: it is not a host address of subnet ${formatCidr(subnet)}`);
    if (req.IPRange) {
      const range = parseCidr(req.IPRange);
      if (!contains(subnet, range.base) || range.bits < subnet.bits) throw new InvalidParameterError(`invalid ip-range ${req.IPRange}: it is not inside subnet ${formatCidr(subnet)}`);
    }
    const aux = req.AuxiliaryAddresses ?? {};
    for (const [key, ip] of Object.entries(aux)) {
      if (typeof ip !== 'string' || isIP(ip) !== 4 || !contains(subnet, ipToInt(ip))) throw new InvalidParameterError(`invalid auxiliary address ${key}=${String(ip)}: it is not an address of subnet ${formatCidr(subnet)}`);
    }
    const config: IpamConfig = { Subnet: formatCidr(subnet), Gateway: gateway, ...(req.IPRange ? { IPRange: req.IPRange } : {}), ...(Object.keys(aux).length > 0 ? { AuxiliaryAddresses: { ...aux } } : {}) };
    const record = this.baseRecord(name, 'bridge', options, config6 ? [config, config6] : [config], body.Internal === true, body.Labels ?? {});
    record.Attachable = body.Attachable === true;
    record.EnableIPv6 = enableIPv6;
    record.IPAM.Options = body.IPAM?.Options ?? null;
    await this.save(record);
    try {
      await this.bringUp(record);
      await this.syncRules();
    } catch (err) {
      await this.dropNetwork(record).catch(() => undefined);
      throw err;
    }
    return { Id: record.Id, Warning: warning };
  }

  /** A requested IPv6 pool, checked; or, for an IPv6 network without one, a unique local /64. */
  private async ipv6PoolFor(req: Ipv6PoolRequest | undefined, enabled: boolean): Promise<IpamConfig | undefined> {
    const bridges = this.bridgeNames();
    if (!req) return enabled ? pickUla64(ipv6SubnetsInUse(this.records.values()).map((n) => n.subnet), await hostRouteTable6(), bridges) : undefined;
    const config = checkIpv6Pool(req, enabled, this.records.values());
    if (enabled) checkIpv6Routes(parseCidr6(config.Subnet), await hostRouteTable6(), bridges);
    return config;
  }

  private async dropNetwork(r: NetworkRecord): Promise<void> {
    await this.dns.close(r.Id);
    await deleteLink(this.bridgeOf(r)).catch((err: unknown) => this.log.warn({ err, network: r.Name }, 'cannot delete bridge'));
    await this.ipam.dropNetwork(r.Id);
    await this.store.delete(r.Id);
    this.records.delete(r.Id);
    await this.syncRules();
  }

  /** Containers attached to a network (by the record's endpoints). */
  attached(r: NetworkRecord, runningOnly: boolean): ContainerRecord[] {
    return this.options.containers().filter((c) => (!runningOnly || c.State.Running) && Object.values(c.NetworkSettings?.Networks ?? {}).some((e) => e.NetworkID === r.Id));
  }

  async remove(ref: string): Promise<void> {
    const r = this.get(ref);
    if (PREDEFINED.has(r.Name)) throw new ForbiddenError(`${r.Name} is a pre-defined network and cannot be removed`);
    const active = this.attached(r, true);
    if (active.length > 0) throw new ConflictError(`error while removing network: network ${r.Name} id ${r.Id} has active endpoints (${active.map((c) => c.Name.slice(1)).join(', ')}): stop or disconnect them first`);
    await this.dropNetwork(r);
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    checkFilterKeys(filters, new Set(['label', 'until']));
    const until = filters.until?.[0] !== undefined ? parseUntil(filters.until[0]) : undefined;
    const deleted: string[] = [];
    for (const r of [...this.records.values()]) {
      if (PREDEFINED.has(r.Name) || this.attached(r, false).length > 0) continue;
      if (filters.label && !labelsMatch(filters.label, r.Labels)) continue;
      // As dockerd: a network made after `until` stays.
      if (until !== undefined && Date.parse(r.Created) > until) continue;
      await this.dropNetwork(r);
      deleted.push(r.Name);
    }
    return { NetworksDeleted: deleted };
  }

  list(filters: Filters): Array<Record<string, unknown>> {
    checkFilterKeys(filters, NETWORK_FILTERS);
    const out = [...this.records.values()].filter((r) => {
      if (filters.name && !filters.name.some((n) => r.Name.includes(n))) return false;
      if (filters.id && !filters.id.some((i) => r.Id.startsWith(i))) return false;
      if (filters.driver && !filters.driver.includes(r.Driver)) return false;
      if (filters.scope && !filters.scope.includes('local')) return false;
      if (filters.type && !filters.type.includes(PREDEFINED.has(r.Name) ? 'builtin' : 'custom')) return false;
      if (filters.label && !labelsMatch(filters.label, r.Labels)) return false;
      if (filters.dangling) {
        const want = filters.dangling.includes('true') || filters.dangling.includes('1');
        if (PREDEFINED.has(r.Name) || (this.attached(r, false).length === 0) !== want) return false;
      }
      return true;
    });
    return out.sort((a, b) => compareStrings(a.Name, b.Name)).map((r) => this.view(r, false));
  }

  inspect(ref: string): Record<string, unknown> {
    return this.view(this.get(ref), true);
  }

  private view(r: NetworkRecord, withContainers: boolean): Record<string, unknown> {
    const containers: Record<string, unknown> = {};
    for (const c of this.attached(r, true)) {
      const ep = Object.values(c.NetworkSettings?.Networks ?? {}).find((e) => e.NetworkID === r.Id);
      if (!ep) continue;
      containers[c.Id] = { Name: c.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '', IPv6Address: ep.GlobalIPv6Address ? `${ep.GlobalIPv6Address}/${ep.GlobalIPv6PrefixLen}` : '' };
    }
    return { ...r, Containers: withContainers ? containers : {}, Peers: undefined };
  }

  /**
   * Container names, aliases and short IDs of running containers on a network, for its DNS. A
   * link alias of the asking container names its target, for that container alone (dockerd's
   * links on a user-defined network).
   */
  private lookupName(networkId: string, name: string, source = ''): string[] {
    const links = (source ? this.asking(networkId, source) : undefined)?.endpoint.Links ?? [];
    for (const l of links) {
      const link = parseLink(l);
      if (link.alias.toLowerCase() === name) return this.lookupName(networkId, link.name.toLowerCase());
    }
    const ips: string[] = [];
    for (const c of this.options.containers()) {
      if (!c.State.Running) continue;
      for (const ep of Object.values(c.NetworkSettings?.Networks ?? {})) {
        if (ep.NetworkID !== networkId || !ep.IPAddress) continue;
        const names = [c.Name.slice(1), c.Id.slice(0, 12), ...(ep.Aliases ?? [])].map((n) => n.toLowerCase());
        if (names.includes(name)) ips.push(ep.IPAddress, ...(ep.GlobalIPv6Address ? [ep.GlobalIPv6Address] : []));
      }
    }
    return ips;
  }

  /** A container's own `--dns` servers when it has some, else the host's resolvers. */
  private upstreamsFor(networkId: string, source: string): string[] {
    const own = (this.asking(networkId, source)?.container.HostConfig.Dns as string[] | undefined) ?? [];
    return own.length > 0 ? own : this.options.upstreams;
  }

  /** The container (and its endpoint) at `source` on a network: who asks the embedded DNS. */
  private asking(networkId: string, source: string): { container: ContainerRecord; endpoint: EndpointSettings } | undefined {
    for (const c of this.options.containers()) {
      const endpoint = Object.values(c.NetworkSettings?.Networks ?? {}).find((e) => e.NetworkID === networkId && e.IPAddress === source);
      if (endpoint) return { container: c, endpoint };
    }
    return undefined;
  }

  setPorts(containerId: string, ports: NftPort[] | undefined): void {
    if (ports && ports.length > 0) this.ports.set(containerId, ports);
    else this.ports.delete(containerId);
  }

  allPorts(): Array<[string, NftPort[]]> {
    return [...this.ports.entries()];
  }

  private bridgeNets(): NftNetwork[] {
    return [...this.records.values()]
      .filter((r) => r.Driver === 'bridge' && ipv4Config(r))
      .map((r) => ({ bridge: this.bridgeOf(r), subnet: ipv4Config(r)?.Subnet as string, subnet6: this.ipv6Gateway(r)?.subnet, internal: r.Internal, masquerade: r.Options[MASQUERADE_OPTION] !== 'false' }));
  }

  /** Renders Berth's whole table from state and swaps it in one transaction (serialised). */
  syncRules(): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.options.iptables) return;
      const ruleset = renderRuleset(this.options.nftTable, this.bridgeNets(), [...this.ports.values()].flat());
      // Most containers publish no port: their start changes nothing here and skips an nft run.
      if (ruleset === this.appliedRuleset) return;
      await applyRuleset(ruleset);
      this.appliedRuleset = ruleset;
      // A firewall Berth cannot steer must not stop containers from starting: the audit says why.
      await this.firewall.sync().catch((err: unknown) => this.log.warn({ err }, 'cannot bring published ports in step with the host firewall'));
    };
    const next = this.nftChain.then(run, run);
    this.nftChain = next.catch(() => undefined);
    return next;
  }
}
