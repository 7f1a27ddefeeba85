/**
 * The host's own firewall, as it bears on published ports. A published port is DNAT to a
 * container, so its packets are forwarded, not delivered: they pass every table's forward hook,
 * and in nftables an accept in Berth's table does not override a drop in another's. With ufw (or
 * any forward policy of drop) active, published ports were unreachable from other hosts, and so
 * was the internet from containers. Berth therefore keeps one chain of its own in the iptables
 * `filter` table, jumped to first from FORWARD, only while such a firewall is there: it lets
 * containers out, their replies in, and each published port through exactly when the firewall
 * allows that port to the host (ufw's `ufw allow 8080/tcp`, which ufw writes for INPUT).
 * Rules go in through iptables(-nft), never as native nft rules, so ufw's iptables-restore keeps
 * working on that table. Nothing is written when no firewall drops forwarded traffic.
 */
import { runCommand } from '../../core/run-command.js';
import { watchOutput } from './watch-output.js';

export type FirewallKind = 'ufw' | 'firewalld' | 'nftables' | 'none';

export interface FirewallFacts {
  kind: FirewallKind;
  /** Base chains of other tables that drop forwarded IPv4 by default, as `family table chain`. */
  forwardDrop: string[];
}

/** What ufw's incoming rules say of one port: where from it may be reached ('any', some sources, or nowhere). */
export interface PortVerdict {
  allowed: 'any' | 'none' | string[];
  /** The rule (or policy) that decided, in ufw's words. */
  reason: string;
}

interface UfwRule {
  accept: boolean;
  proto: string | undefined;
  ports: Array<[number, number]> | undefined;
  source: string | undefined;
  text: string;
}

export interface UfwRules {
  rules: UfwRule[];
  /** INPUT's policy: what happens to a port no rule names (ufw's `default deny incoming`). */
  defaultAccept: boolean;
}

interface NftChain {
  chain?: { family: string; table: string; name: string; hook?: string; policy?: string };
}

/** Reads the live ruleset: which firewall is there, and whether it drops forwarded traffic. */
export async function readFirewallFacts(ownTables: ReadonlySet<string>): Promise<FirewallFacts> {
  const r = await runCommand('nft', ['-j', 'list', 'chains'], { allowFailure: true });
  if (r.code !== 0) return { kind: 'none', forwardDrop: [] };
  const chains = ((JSON.parse(r.stdout || '{}') as { nftables?: NftChain[] }).nftables ?? []).flatMap((x) => (x.chain ? [x.chain] : []));
  const forwardDrop = chains
    .filter((c) => (c.family === 'ip' || c.family === 'inet') && c.hook === 'forward' && c.policy === 'drop' && !ownTables.has(c.table))
    .map((c) => `${c.family} ${c.table} ${c.name}`);
  const kind: FirewallKind = chains.some((c) => c.family === 'ip' && c.table === 'filter' && c.name === 'ufw-user-input')
    ? 'ufw'
    : chains.some((c) => c.table === 'firewalld')
      ? 'firewalld'
      : forwardDrop.length > 0
        ? 'nftables'
        : 'none';
  return { kind, forwardDrop };
}

/** ufw's incoming rules from `iptables-save -t filter` (its `ufw-user-input` chain, in order). */
export function parseUfwRules(save: string): UfwRules {
  const rules: UfwRule[] = [];
  for (const line of save.split('\n')) {
    if (!line.startsWith('-A ufw-user-input ')) continue;
    const words = line.split(/\s+/);
    const arg = (flag: string): string | undefined => {
      const i = words.indexOf(flag);
      return i >= 0 ? words[i + 1] : undefined;
    };
    const target = arg('-j') ?? '';
    // ufw's `limit` rules jump to ufw-user-limit(-accept): allowed, at a rate.
    const accept = target === 'ACCEPT' || target === 'ufw-user-limit-accept';
    if (!accept && target !== 'DROP' && target !== 'REJECT' && target !== 'ufw-user-limit') continue;
    const portText = arg('--dport') ?? arg('--dports');
    const ports = portText?.split(',').map((p): [number, number] => {
      const [lo, hi] = p.split(':').map(Number);
      return [lo ?? 0, hi ?? lo ?? 0];
    });
    // A rule for one interface only (`ufw allow in on eth1`) says nothing certain of the others.
    if (arg('-i') !== undefined) continue;
    rules.push({ accept, proto: arg('-p'), ports, source: arg('-s'), text: line.slice('-A ufw-user-input '.length) });
  }
  const defaultAccept = /^:INPUT ACCEPT/m.test(save);
  return { rules, defaultAccept };
}

/**
 * Where a port may be reached from, by ufw's first-match rules: the sources of allow rules that
 * come before the first rule for everyone, and everyone if that rule (or the default) allows.
 */
export function ufwVerdict(u: UfwRules, proto: string, port: number): PortVerdict {
  const sources: string[] = [];
  for (const r of u.rules) {
    if (r.proto !== undefined && r.proto !== proto) continue;
    if (r.ports !== undefined && !r.ports.some(([lo, hi]) => port >= lo && port <= hi)) continue;
    if (r.source !== undefined && r.source !== '0.0.0.0/0') {
      if (r.accept) sources.push(r.source);
      continue;
    }
    if (r.accept) return { allowed: 'any', reason: `ufw allows it (${r.text})` };
    return sources.length > 0 ? { allowed: sources, reason: `ufw allows it only from ${sources.join(', ')}, then denies it (${r.text})` } : { allowed: 'none', reason: `ufw denies it (${r.text})` };
  }
  if (u.defaultAccept) return { allowed: 'any', reason: "ufw's default policy for incoming traffic is allow" };
  if (sources.length > 0) return { allowed: sources, reason: `ufw allows it only from ${sources.join(', ')}` };
  return { allowed: 'none', reason: `ufw has no rule allowing ${port}/${proto} and denies incoming traffic by default` };
}

export async function readUfwRules(): Promise<UfwRules> {
  return parseUfwRules((await runCommand('iptables-save', ['-t', 'filter'])).stdout);
}

export interface ForwardBridge {
  name: string;
  internal: boolean;
  masquerade: boolean;
}

export interface ForwardPort {
  proto: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  /** Where from it may be reached: 'any' or source prefixes ('none' ports are left out). */
  sources: 'any' | string[];
}

/** The chain's content for iptables-restore (`--noflush`: only this chain is replaced). */
export function renderForwardChain(chain: string, bridges: readonly ForwardBridge[], ports: readonly ForwardPort[]): string {
  const L = ['*filter', `:${chain} - [0:0]`];
  for (const b of bridges) {
    L.push(`-A ${chain} -o ${b.name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    if (!b.internal) L.push(`-A ${chain} -i ${b.name} ! -o ${b.name} -j ACCEPT`);
    L.push(`-A ${chain} -i ${b.name} -o ${b.name} -j ACCEPT`);
  }
  for (const p of ports) {
    const match = `-d ${p.containerIp}/32 -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} -m conntrack --ctstate DNAT --ctorigdstport ${p.hostPort}`;
    if (p.sources === 'any') L.push(`-A ${chain} ${match} -j ACCEPT`);
    else for (const s of p.sources) L.push(`-A ${chain} -s ${s} ${match} -j ACCEPT`);
  }
  L.push('COMMIT', '');
  return L.join('\n');
}

/**
 * Puts the chain's rules in (when `changed`, or when the chain or its jump went missing) and
 * makes sure FORWARD jumps to it first.
 */
export async function applyForwardChain(chain: string, content: string, changed: boolean): Promise<void> {
  const jumped = (await runCommand('iptables', ['-C', 'FORWARD', '-j', chain], { allowFailure: true })).code === 0;
  if (changed || !jumped) await runCommand('iptables-restore', ['--noflush'], { input: content });
  if (!jumped) await runCommand('iptables', ['-I', 'FORWARD', '1', '-j', chain]);
}

/** Takes the chain and its jump away again (the firewall went, or berthd stops publishing through it). */
export async function removeForwardChain(chain: string): Promise<void> {
  while ((await runCommand('iptables', ['-D', 'FORWARD', '-j', chain], { allowFailure: true })).code === 0);
  await runCommand('iptables', ['-F', chain], { allowFailure: true });
  await runCommand('iptables', ['-X', chain], { allowFailure: true });
}

/** Calls `onChange` while the ruleset changes: `ufw allow`, `ufw enable`, a firewalld reload. */
export function watchRuleset(onChange: () => void, settleMs = 300): { close(): void } {
  return watchOutput('nft', ['monitor', 'ruleset'], onChange, settleMs);
}
