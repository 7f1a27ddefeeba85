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
import type { NftPort } from '../../drivers/network/nft-ruleset.js';

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

/**
 * Published ports that obey the host's firewall (issue 19): keeps Berth's FORWARD chain
 * (drivers/network/forward-firewall.ts) in step with the ufw rules and the containers' ports,
 * re-checking whenever the ruleset changes, and explains each port's reachability.
 */
export class FirewallPublisher {
  private applied: string | undefined;
  /** What the last read found; the ruleset watcher drops it when anything changes. */
  private known: Promise<{ facts: FirewallFacts; ufw: UfwRules | undefined }> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: { close(): void } | undefined;

  constructor(
    private readonly o: { chainName: string; ownTables: ReadonlySet<string>; mode: FirewallMode; enabled: boolean; log: Logger },
    private readonly state: () => { bridges: ForwardBridge[]; ports: PublishedPort[] },
  ) {}

  async start(): Promise<void> {
    if (!this.o.enabled) return;
    await this.sync();
    this.watcher = watchRuleset(() => {
      this.known = undefined;
      void this.sync().catch((err: unknown) => this.o.log.warn({ err }, 'cannot bring published ports in step with the host firewall'));
    });
  }

  close(): void {
    this.watcher?.close();
  }

  /**
   * The firewall as last read: a container start or `create -p` reuses it (no nft or
   * iptables-save spawn on those paths); a change to the ruleset makes the next call read again.
   */
  private read(live = false): Promise<{ facts: FirewallFacts; ufw: UfwRules | undefined }> {
    const fresh = async (): Promise<{ facts: FirewallFacts; ufw: UfwRules | undefined }> => {
      const facts = await readFirewallFacts(this.o.ownTables);
      return { facts, ufw: facts.kind === 'ufw' ? await readUfwRules() : undefined };
    };
    // Without the watcher (not started) nothing would tell a cached read is stale.
    if (live || !this.watcher) return fresh();
    this.known ??= fresh().catch((err: unknown) => {
      this.known = undefined;
      throw err;
    });
    return this.known;
  }

  private verdict(facts: FirewallFacts, ufw: UfwRules | undefined, p: NftPort): PortVerdict {
    if (isLoopback(p.hostIp)) return { allowed: 'none', reason: `published on ${p.hostIp}: only this host can connect` };
    if (facts.forwardDrop.length === 0) return { allowed: 'any', reason: 'no firewall drops forwarded traffic on this host' };
    if (this.o.mode === 'docker') return { allowed: 'any', reason: 'berthd runs with --firewall-mode=docker: published ports bypass the firewall, as with dockerd' };
    if (ufw) return ufwVerdict(ufw, p.proto, p.hostPort);
    return { allowed: 'none', reason: `${facts.forwardDrop.join(', ')} drops forwarded traffic, and Berth reads only ufw's rules (this is ${facts.kind})` };
  }

  /** Brings the chain in step (serialised; a no-op when nothing changed). */
  sync(): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.o.enabled) return;
      const { facts, ufw } = await this.read();
      if (facts.forwardDrop.length === 0) {
        if (this.applied !== undefined) await removeForwardChain(this.o.chainName);
        this.applied = undefined;
        return;
      }
      const { bridges, ports } = this.state();
      // The chain is IPv4 (iptables): IPv6 ports are not forwarded through it.
      const open = ports.flatMap(({ port: p }) => {
        if (p.hostIp.includes(':') || p.containerIp.includes(':')) return [];
        const v = this.verdict(facts, ufw, p);
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

  /** Every published port against the live ruleset (`berth port audit`). */
  async audit(): Promise<{ Firewall: string; ForwardDrop: string[]; Mode: FirewallMode; Ports: PortAudit[] }> {
    // The audit reads the live ruleset, not what the watcher last settled on.
    const { facts, ufw } = await this.read(true);
    const ports = this.state().ports.map(({ containerId, name, port: p }): PortAudit => {
      const v = this.verdict(facts, ufw, p);
      const spec = `${p.hostPort}/${p.proto}`;
      const reachable = v.allowed === 'any' ? 'yes' : v.allowed === 'none' ? 'no' : 'partly';
      let fix: string;
      if (isLoopback(p.hostIp)) fix = `publish on all addresses: -p ${p.hostPort}:${p.containerPort}/${p.proto}`;
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
    const { facts, ufw } = await this.read();
    if (facts.forwardDrop.length === 0) return [];
    const out: string[] = [];
    for (const b of bindings) {
      if (isLoopback(b.hostIp)) continue;
      const v = this.verdict(facts, ufw, { ...b, containerIp: '', containerPort: 0 });
      if (v.allowed === 'any') continue;
      out.push(`published port ${b.hostPort}/${b.proto} will ${v.allowed === 'none' ? 'not be reachable' : `be reachable only from ${v.allowed.join(', ')}`} from other hosts: ${v.reason}; run "ufw allow ${b.hostPort}/${b.proto}" to open it, or see "berth port audit"`);
    }
    return out;
  }
}
