import type { Logger } from '../../core/logger.js';
import {
  applyForwardChain,
  readFirewallFacts,
  readUfwRules,
  removeForwardChain,
  renderForwardChain,
  ufwVerdict,
  watchRuleset,
  type FirewallFacts,
  type ForwardBridge,
  type PortVerdict,
  type UfwRules,
} from '../../drivers/network/forward-firewall.js';
import { bindToBerthZone, BERTH_ZONE, ensureBerthZone, firewalldVerdict, readFirewalld, renderZoneTable, unbindFromBerthZone, type FirewalldState, type ZoneMatch } from '../../drivers/network/firewalld.js';
import { applyRuleset, deleteTable, type NftPort } from '../../drivers/network/nft-ruleset.js';

export type FirewallMode = 'berth' | 'docker';

/** One published port as `berth port audit` shows it. */
export interface PortAudit {
  Container: string;
  ContainerId: string;
  Proto: string;
  HostIp: string;
  HostPort: number;
  ContainerPort: number;
  /** yes: from anywhere; partly: from some sources only (From); no: not from other hosts. */
  Reachable: 'yes' | 'partly' | 'no';
  From: string[];
  Reason: string;
  /** The command that would change it. */
  Fix: string;
}

export interface PublishedPort {
  containerId: string;
  name: string;
  port: NftPort;
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

interface Known {
  facts: FirewallFacts;
  ufw: UfwRules | undefined;
  firewalld: FirewalldState | undefined;
}

interface Verdict extends PortVerdict {
  /** The command that would change it, when the firewall says (firewalld). */
  fix?: string;
  /** firewalld: each source and interface's verdict, for the zone table. */
  matches?: ZoneMatch[];
}

/**
 * Published ports that obey the host's firewall (issue 19): keeps Berth's FORWARD chain
 * (drivers/network/forward-firewall.ts) in step with the ufw rules and the containers' ports,
 * or, with firewalld, Berth's bridges in the berth zone and its zone table in step with the zones
 * (drivers/network/firewalld.ts); re-checks whenever the ruleset changes (a firewalld reload
 * rebuilds firewalld's table and drops the bridges' zone), and explains each port's reachability.
 */
export class FirewallPublisher {
  private applied: string | undefined;
  /** The zone table as last loaded (firewalld). */
  private appliedZones: string | undefined;
  /** Bridges Berth put in the berth zone: only these are taken out again. */
  private readonly bound = new Set<string>();
  /** What the last read found; the ruleset watcher drops it when anything changes. */
  private known: Promise<Known> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: { close(): void } | undefined;

  constructor(
    private readonly o: { chainName: string; zoneTable: string; ownTables: ReadonlySet<string>; mode: FirewallMode; enabled: boolean; log: Logger },
    private readonly state: () => { bridges: ForwardBridge[]; ports: PublishedPort[] },
  ) {}

  async start(): Promise<void> {
    if (!this.o.enabled) return;
    // A firewall Berth cannot steer must not keep the daemon from starting: the audit says why.
    await this.sync().catch((err: unknown) => this.o.log.warn({ err }, 'cannot bring published ports in step with the host firewall'));
    this.watcher = watchRuleset(() => {
      this.known = undefined;
      void this.sync().catch((err: unknown) => this.o.log.warn({ err }, 'cannot bring published ports in step with the host firewall'));
    });
  }

  /**
   * Stops watching and takes Berth's bridges out of the berth zone. The zone table stays, as
   * Berth's nat table does: containers may outlive berthd, and without it firewalld would let
   * every connection to their published ports through (its forward chain accepts DNAT'd packets).
   */
  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    const bound = [...this.bound];
    this.bound.clear();
    await this.chain.catch(() => undefined);
    if (bound.length > 0) await unbindFromBerthZone(bound);
  }

  /**
   * The firewall as last read: a container start or `create -p` reuses it (no nft or
   * iptables-save spawn on those paths); a change to the ruleset makes the next call read again.
   */
  private read(live = false): Promise<Known> {
    const fresh = async (): Promise<Known> => {
      const facts = await readFirewallFacts(this.o.ownTables);
      return { facts, ufw: facts.kind === 'ufw' ? await readUfwRules() : undefined, firewalld: facts.kind === 'firewalld' ? await readFirewalld() : undefined };
    };
    // Without the watcher (not started) nothing would tell a cached read is stale.
    if (live || !this.watcher) return fresh();
    this.known ??= fresh().catch((err: unknown) => {
      this.known = undefined;
      throw err;
    });
    return this.known;
  }

  private verdict({ facts, ufw, firewalld }: Known, p: NftPort): Verdict {
    if (isLoopback(p.hostIp)) return { allowed: 'none', reason: `published on ${p.hostIp}: only this host can connect` };
    // firewalld's forward chain ends in a reject rule, not a drop policy, and accepts DNAT'd packets.
    if (facts.forwardDrop.length === 0 && !firewalld) return { allowed: 'any', reason: 'no firewall drops forwarded traffic on this host' };
    if (this.o.mode === 'docker') return { allowed: 'any', reason: 'berthd runs with --firewall-mode=docker: published ports bypass the firewall, as with dockerd' };
    if (firewalld) return firewalldVerdict(firewalld, this.state().bridges.map((b) => b.name), p.proto, p.hostPort);
    if (ufw) return ufwVerdict(ufw, p.proto, p.hostPort);
    return { allowed: 'none', reason: `${facts.forwardDrop.join(', ')} drops forwarded traffic, and Berth reads only ufw's rules (this is ${facts.kind})` };
  }

  /** Brings the chain in step (serialised; a no-op when nothing changed). */
  sync(): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.o.enabled) return;
      const known = await this.read();
      await this.syncZones(known);
      const { facts } = known;
      if (facts.forwardDrop.length === 0) {
        if (this.applied !== undefined) await removeForwardChain(this.o.chainName);
        this.applied = undefined;
        return;
      }
      const { bridges, ports } = this.state();
      // The chain is IPv4 (iptables): IPv6 ports are not forwarded through it.
      const open = ports.flatMap(({ port: p }) => {
        if (p.hostIp.includes(':') || p.containerIp.includes(':')) return [];
        const v = this.verdict(known, p);
        // firewalld's verdicts are held by the zone table: here (a forward drop besides, such as
        // dockerd's FORWARD policy) the port must only not be dropped.
        if (v.matches) return [{ proto: p.proto, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, sources: 'any' as const }];
        return v.allowed === 'none' ? [] : [{ proto: p.proto, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, sources: v.allowed }];
      });
      const content = renderForwardChain(this.o.chainName, bridges, open);
      // The ruleset changed (that is why this ran): the jump may have gone with a flush of FORWARD.
      await applyForwardChain(this.o.chainName, content, content !== this.applied);
      this.applied = content;
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * firewalld's part: the berth zone and policy made (once), Berth's bridges in the zone, ones
   * that went taken out, and the zone table holding each published port to its zones' verdicts.
   * Without firewalld, what Berth had added is forgotten (firewalld took its zone bindings with
   * it) and the zone table goes.
   */
  private async syncZones(known: Known, reloaded = false): Promise<void> {
    const bridges = this.state().bridges.map((b) => b.name);
    const st = known.firewalld;
    if (!st) {
      this.bound.clear();
      if (this.appliedZones !== undefined) await deleteTable(this.o.zoneTable);
      this.appliedZones = undefined;
      return;
    }
    // Once: a zone that a reload did not bring in is left to the next ruleset change.
    if (!reloaded && (await ensureBerthZone(st))) {
      this.o.log.info({ zone: BERTH_ZONE }, 'made the berth zone and the berth-forwarding policy in firewalld (permanent) and reloaded it');
      this.known = undefined;
      return this.syncZones(await this.read(), true);
    }
    const inZone = new Set(st.zones.find((z) => z.name === BERTH_ZONE)?.interfaces ?? []);
    const missing = bridges.filter((b) => !inZone.has(b));
    if (missing.length > 0) {
      await bindToBerthZone(missing);
      // The verdicts below must see the bridges in the berth zone.
      for (const z of st.zones) z.interfaces = z.name === BERTH_ZONE ? [...z.interfaces, ...missing] : z.interfaces.filter((i) => !missing.includes(i));
    }
    for (const b of bridges) this.bound.add(b);
    const gone = [...this.bound].filter((b) => !bridges.includes(b));
    if (gone.length > 0) await unbindFromBerthZone(gone);
    for (const b of gone) this.bound.delete(b);
    const ports = this.o.mode === 'docker' ? [] : this.state().ports.flatMap(({ port: p }) => {
      const v = this.verdict(known, p);
      // The zone table is IPv4, as firewalld's verdicts Berth reads.
      if (p.hostIp.includes(':') || p.containerIp.includes(':')) return [];
      return isLoopback(p.hostIp) || !v.matches ? [] : [{ proto: p.proto, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, matches: v.matches }];
    });
    const table = renderZoneTable(this.o.zoneTable, ports);
    if (table !== this.appliedZones) {
      await applyRuleset(table);
      this.appliedZones = table;
    }
  }

  /** Every published port against the live ruleset (`berth port audit`). */
  async audit(): Promise<{ Firewall: string; ForwardDrop: string[]; Mode: FirewallMode; Ports: PortAudit[] }> {
    // The audit reads the live ruleset, not what the watcher last settled on.
    const known = await this.read(true);
    const { facts } = known;
    const ports = this.state().ports.map(({ containerId, name, port: p }): PortAudit => {
      const v = this.verdict(known, p);
      const spec = `${p.hostPort}/${p.proto}`;
      const reachable = v.allowed === 'any' ? 'yes' : v.allowed === 'none' ? 'no' : 'partly';
      let fix: string;
      if (isLoopback(p.hostIp)) fix = `publish on all addresses: -p ${p.hostPort}:${p.containerPort}/${p.proto}`;
      else if (v.fix) fix = v.fix;
      else if (facts.kind === 'ufw' && this.o.mode === 'berth') fix = reachable === 'yes' ? `ufw deny ${spec}` : `ufw allow ${spec}`;
      else if (facts.forwardDrop.length > 0 && reachable === 'no') fix = 'berthd --firewall-mode=docker (published ports bypass the firewall)';
      else fix = `publish on 127.0.0.1 to keep it to this host: -p 127.0.0.1:${p.hostPort}:${p.containerPort}/${p.proto}`;
      return {
        Container: name,
        ContainerId: containerId,
        Proto: p.proto,
        HostIp: p.hostIp || '0.0.0.0',
        HostPort: p.hostPort,
        ContainerPort: p.containerPort,
        Reachable: reachable,
        From: Array.isArray(v.allowed) ? v.allowed : v.allowed === 'any' ? ['any'] : [],
        Reason: v.reason,
        Fix: fix,
      };
    });
    return { Firewall: facts.kind, ForwardDrop: facts.forwardDrop, Mode: this.o.mode, Ports: ports };
  }

  /** `run`'s warnings: each port of these bindings other hosts will not reach, and why. */
  async warnings(bindings: ReadonlyArray<Pick<NftPort, 'proto' | 'hostIp' | 'hostPort'>>): Promise<string[]> {
    if (!this.o.enabled || bindings.length === 0) return [];
    const known = await this.read();
    if (known.facts.forwardDrop.length === 0 && !known.firewalld) return [];
    const out: string[] = [];
    for (const b of bindings) {
      if (isLoopback(b.hostIp)) continue;
      const v = this.verdict(known, { ...b, containerIp: '', containerPort: 0 });
      if (v.allowed === 'any') continue;
      const fix = v.fix ?? `ufw allow ${b.hostPort}/${b.proto}`;
      out.push(`published port ${b.hostPort}/${b.proto} will ${v.allowed === 'none' ? 'not be reachable' : `be reachable only from ${v.allowed.join(', ')}`} from other hosts: ${v.reason}; run "${fix}" to open it, or see "berth port audit"`);
    }
    return out;
  }
}
