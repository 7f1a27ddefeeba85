/**
 * firewalld, as it bears on Berth's bridges and published ports (issue 19).
 *
 * Without help, firewalld gets both wrong: a bridge in no zone falls into the default zone, so
 * containers can neither reach out (forwarding between zones is rejected) nor reach the embedded
 * DNS on their gateway; and its forward chain accepts every DNAT'd packet (`ct status dnat
 * accept`), so a published port is open whatever the zone of the incoming interface says. Berth
 * therefore puts its bridges in a zone of its own, `berth` (target ACCEPT, with the policy
 * `berth-forwarding` from it to any zone), as dockerd ≥ 20.10 does with its `docker` zone, and
 * decides each published port by the zone a connection comes in through, as firewalld itself
 * decides a port of the host: a zone lets it in when its target is ACCEPT or it names the port,
 * a service with the port, or the protocol. Those verdicts become rules in a table of Berth's own
 * (firewalld's reload flushes iptables' tables, never other nftables tables), so the port is
 * closed from the first packet, including just after a reload.
 *
 * Berth talks to firewalld through firewall-cmd, firewalld's own client, not D-Bus directly:
 * its commands are firewalld's stable interface (the same the audit prints as fixes), it brings
 * its own argument checks and error messages, and Node has no well-kept D-Bus library. It is
 * only ever run while firewalld's table is in the ruleset, so Berth never D-Bus-activates a
 * firewalld that is installed but stopped.
 */
import { runCommand } from '../../core/run-command.js';
import { SystemError } from '../../core/errors.js';

export const BERTH_ZONE = 'berth';
export const BERTH_POLICY = 'berth-forwarding';

export interface PortRange {
  proto: string;
  lo: number;
  hi: number;
}

export interface FirewalldZone {
  name: string;
  /** default, ACCEPT, DROP or %%REJECT%%. */
  target: string;
  interfaces: string[];
  sources: string[];
  services: string[];
  ports: PortRange[];
  protocols: string[];
  richRules: string[];
}

export interface FirewalldService {
  ports: PortRange[];
  protocols: string[];
  /** Limited to IPv6 destinations (dhcpv6-client): says nothing of IPv4 ports. */
  ipv6Only: boolean;
}

export interface FirewalldState {
  defaultZone: string;
  zones: FirewalldZone[];
  services: Map<string, FirewalldService>;
  /** Runtime policies (names). */
  policies: string[];
  /** Interfaces other hosts' packets come in on: not lo, not a bridge's port, not Berth's bridges. */
  links: string[];
}

const words = (s: string | undefined): string[] => (s ?? '').trim().split(/\s+/).filter((w) => w !== '');

function parsePorts(s: string | undefined): PortRange[] {
  return words(s).flatMap((w) => {
    const m = /^(\d+)(?:-(\d+))?\/(\w+)$/.exec(w);
    return m ? [{ proto: m[3] as string, lo: Number(m[1]), hi: Number(m[2] ?? m[1]) }] : [];
  });
}

/** Blocks of `name` then `  key: value` lines (rich rules on tab-indented lines of their own). */
function blocks(text: string): Array<{ head: string; fields: Map<string, string>; rich: string[] }> {
  const out: Array<{ head: string; fields: Map<string, string>; rich: string[] }> = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('\t')) out.at(-1)?.rich.push(line.trim());
    else if (!line.startsWith(' ')) out.push({ head: line.trim(), fields: new Map(), rich: [] });
    else {
      const i = line.indexOf(':');
      if (i > 0) out.at(-1)?.fields.set(line.slice(0, i).trim(), line.slice(i + 1));
    }
  }
  return out;
}

/** The zones as `firewall-cmd --list-all-zones` prints them (runtime settings, runtime bindings). */
export function parseZones(text: string): FirewalldZone[] {
  return blocks(text).map((b) => ({
    name: words(b.head)[0] as string,
    target: b.fields.get('target')?.trim() ?? 'default',
    interfaces: words(b.fields.get('interfaces')),
    sources: words(b.fields.get('sources')),
    services: words(b.fields.get('services')),
    ports: parsePorts(b.fields.get('ports')),
    protocols: words(b.fields.get('protocols')),
    richRules: b.rich,
  }));
}

/** One service as `firewall-cmd --info-service=NAME` prints it. */
export function parseService(text: string): FirewalldService {
  const b = blocks(text)[0];
  const dest = words(b?.fields.get('destination'));
  return {
    ports: parsePorts(b?.fields.get('ports')),
    protocols: words(b?.fields.get('protocols')),
    ipv6Only: dest.length > 0 && dest.every((d) => d.startsWith('ipv6:')),
  };
}

const covers = (ranges: readonly PortRange[], proto: string, port: number): PortRange | undefined => ranges.find((r) => r.proto === proto && port >= r.lo && port <= r.hi);
const fmt = (r: PortRange): string => (r.lo === r.hi ? `${r.lo}/${r.proto}` : `${r.lo}-${r.hi}/${r.proto}`);

/** A rich rule that accepts the port from everywhere (`rule [family="ipv4"] port port="P" protocol="T" accept`). */
function richAccepts(rule: string, proto: string, port: number): boolean {
  if (!/\saccept(\s|$)/.test(rule) || /\b(source|destination|limit)\b/.test(rule) || /family="ipv6"/.test(rule)) return false;
  const m = /port port="(\d+)(?:-(\d+))?" protocol="(\w+)"/.exec(rule);
  return m !== null && m[3] === proto && port >= Number(m[1]) && port <= Number(m[2] ?? m[1]);
}

export interface ZoneDecision {
  allowed: boolean;
  /** Why, in firewalld's words: "target ACCEPT", "port 8080/tcp", "service http". */
  why: string;
  /** The firewall-cmd command that changes it. */
  fix: string;
  /** How a refused packet is refused: as the zone's target would. */
  refuse: 'drop' | 'reject';
}

/** Whether a zone lets a connection to this port of the host in, as firewalld's INPUT would. */
export function zoneDecision(zone: FirewalldZone, services: ReadonlyMap<string, FirewalldService>, proto: string, port: number, unbind: string): ZoneDecision {
  const z = `firewall-cmd --zone=${zone.name}`;
  const refuse = zone.target === 'DROP' ? 'drop' : 'reject';
  if (zone.target === 'ACCEPT') return { allowed: true, why: 'its target is ACCEPT', fix: unbind, refuse };
  const r = covers(zone.ports, proto, port);
  if (r) return { allowed: true, why: `it allows port ${fmt(r)}`, fix: `${z} --remove-port=${fmt(r)}`, refuse };
  if (zone.protocols.includes(proto)) return { allowed: true, why: `it allows protocol ${proto}`, fix: `${z} --remove-protocol=${proto}`, refuse };
  for (const name of zone.services) {
    const s = services.get(name);
    if (s && !s.ipv6Only && (covers(s.ports, proto, port) || s.protocols.includes(proto))) return { allowed: true, why: `it allows service ${name}`, fix: `${z} --remove-service=${name}`, refuse };
  }
  const rich = zone.richRules.find((rule) => richAccepts(rule, proto, port));
  if (rich) return { allowed: true, why: `its rich rule allows it (${rich})`, fix: `${z} --remove-rich-rule='${rich}'`, refuse };
  const target = zone.target === 'default' ? '' : `, and its target is ${zone.target.replaceAll('%%', '')}`;
  return { allowed: false, why: `it does not allow ${port}/${proto}${target}`, fix: `${z} --add-port=${port}/${proto}`, refuse };
}

/** One forward rule for a published port: packets from this source or interface (or any) accepted or refused. */
export interface ZoneMatch {
  source?: string;
  iface?: string;
  verdict: 'accept' | 'drop' | 'reject';
}

export interface FirewalldVerdict {
  allowed: 'any' | 'none' | string[];
  reason: string;
  fix: string;
  /** In firewalld's order: source-bound zones, interface-bound zones, then the default zone. */
  matches: ZoneMatch[];
}

/**
 * Where a published port may be reached from: per source-bound zone, per interface (its zone, or
 * the default zone), as firewalld dispatches a packet to a zone. `own` are Berth's bridges (in
 * the berth zone): their packets (containers reaching a published port through the host) are
 * ruled on like any other, but they are not "other hosts" in the summary.
 */
export function firewalldVerdict(st: FirewalldState, own: readonly string[], proto: string, port: number): FirewalldVerdict {
  const zoneOf = new Map<string, FirewalldZone>();
  for (const z of st.zones) for (const i of z.interfaces) zoneOf.set(i, z);
  const byName = new Map(st.zones.map((z) => [z.name, z]));
  const fallback = byName.get(st.defaultZone);
  const matches: ZoneMatch[] = [];
  const from: string[] = [];
  const denied: Array<{ who: string; d: ZoneDecision; zone: string }> = [];
  const granted: Array<{ who: string; d: ZoneDecision; zone: string }> = [];
  for (const z of st.zones) {
    for (const source of z.sources) {
      if (source.includes(':') || source.startsWith('ipset:')) continue;
      const d = zoneDecision(z, st.services, proto, port, `firewall-cmd --zone=${z.name} --remove-source=${source}`);
      matches.push({ source, verdict: d.allowed ? 'accept' : d.refuse });
      (d.allowed ? granted : denied).push({ who: `source ${source}`, d, zone: z.name });
      if (d.allowed) from.push(`${source} (zone ${z.name})`);
    }
  }
  for (const [iface, z] of zoneOf) {
    const d = zoneDecision(z, st.services, proto, port, `firewall-cmd --zone=${z.name} --remove-interface=${iface}`);
    matches.push({ iface, verdict: d.allowed ? 'accept' : d.refuse });
  }
  // An interface in no zone is in the default zone: an ACCEPT default zone is undone by going back to public.
  const reset = fallback?.name === 'public' ? 'firewall-cmd --permanent --zone=public --set-target=default && firewall-cmd --reload' : 'firewall-cmd --set-default-zone=public';
  const defaultDecision = fallback ? zoneDecision(fallback, st.services, proto, port, reset) : undefined;
  matches.push({ verdict: defaultDecision === undefined || defaultDecision.allowed ? 'accept' : defaultDecision.refuse });
  let outside = 0;
  for (const link of st.links) {
    if (own.includes(link)) continue;
    const z = zoneOf.get(link) ?? fallback;
    if (!z) continue;
    outside++;
    const d = (zoneOf.has(link) ? zoneDecision(z, st.services, proto, port, `firewall-cmd --zone=${z.name} --remove-interface=${link}`) : defaultDecision) as ZoneDecision;
    const zone = zoneOf.has(link) ? z.name : `${z.name} (the default zone)`;
    (d.allowed ? granted : denied).push({ who: link, d, zone });
    if (d.allowed) from.push(`${link} (zone ${z.name})`);
  }
  const say = (all: typeof granted): string => {
    // Interfaces first: they are what most hosts bind zones by.
    const xs = [...all.filter((x) => !x.who.startsWith('source ')), ...all.filter((x) => x.who.startsWith('source '))];
    const byZone = new Map<string, typeof granted>();
    for (const x of xs) byZone.set(x.zone, [...(byZone.get(x.zone) ?? []), x]);
    return [...byZone].map(([zone, ys]) => `${ys.map((y) => y.who).join(', ')} ${ys.length > 1 ? 'are' : 'is'} in zone ${zone}, and ${ys[0]?.d.why}`).join('; ');
  };
  if (outside === 0 && granted.length === 0) return { allowed: 'none', reason: 'firewalld: no interface of this host leads to other hosts', fix: '', matches };
  if (denied.length === 0) return { allowed: 'any', reason: `firewalld: ${say(granted)}`, fix: granted[0]?.d.fix ?? '', matches };
  const fix = denied[0]?.d.fix ?? '';
  if (granted.length === 0) return { allowed: 'none', reason: `firewalld: ${say(denied)}`, fix, matches };
  return { allowed: from, reason: `firewalld: ${say(granted)}; but ${say(denied)}`, fix, matches };
}

/** The forward-hook table that holds each published port to its zones' verdicts (`nft -f`, replaced whole). */
export function renderZoneTable(table: string, ports: ReadonlyArray<{ proto: string; hostPort: number; containerIp: string; containerPort: number; matches: readonly ZoneMatch[] }>): string {
  const L = [`table ip ${table}`, `delete table ip ${table}`, `table ip ${table} {`, '  chain forward {', '    type filter hook forward priority 0; policy accept;'];
  for (const p of ports) {
    const match = `ct status dnat ip daddr ${p.containerIp} ${p.proto} dport ${p.containerPort} ct original proto-dst ${p.hostPort}`;
    for (const m of p.matches) {
      const who = m.source !== undefined ? ` ip saddr ${m.source}` : m.iface !== undefined ? ` iifname ${JSON.stringify(m.iface)}` : '';
      L.push(`    ${match}${who} ${m.verdict === 'reject' ? 'reject with icmp type admin-prohibited' : m.verdict}`);
    }
  }
  L.push('  }', '}', '');
  return L.join('\n');
}

/** firewall-cmd, on the system bus berthd was started with. */
async function fwcmd(...args: string[]): Promise<string> {
  const r = await runCommand('firewall-cmd', args, { allowFailure: true });
  if (r.code !== 0) throw new SystemError(`firewall-cmd ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Host links packets may come in on, with `ip -j link` (bridge ports count as their bridge). */
async function ingressLinks(): Promise<string[]> {
  const r = await runCommand('ip', ['-j', 'link', 'show'], { allowFailure: true });
  if (r.code !== 0) return [];
  const links = JSON.parse(r.stdout || '[]') as Array<{ ifname: string; master?: string; link_type?: string }>;
  return links.filter((l) => l.link_type !== 'loopback' && l.master === undefined).map((l) => l.ifname);
}

/** Reads what decides published ports: the zones, their services' ports, the host's links. */
export async function readFirewalld(): Promise<FirewalldState> {
  const [defaultZone, zonesText, policies, links] = await Promise.all([fwcmd('--get-default-zone'), fwcmd('--list-all-zones'), fwcmd('--get-policies'), ingressLinks()]);
  const zones = parseZones(zonesText);
  // firewall-cmd shows one service a call.
  const names = [...new Set(zones.flatMap((z) => z.services))];
  const services = new Map(await Promise.all(names.map(async (name) => [name, parseService(await fwcmd(`--info-service=${name}`))] as const)));
  return { defaultZone: defaultZone.trim(), zones, services, policies: words(policies), links };
}

/**
 * Makes the berth zone and its forwarding policy when missing. Both are permanent config (firewalld
 * has no runtime-only zones), so making them costs one reload, once per host, as with dockerd's
 * `docker` zone; they stay when berthd stops, so later starts need no reload.
 */
export async function ensureBerthZone(st: FirewalldState): Promise<boolean> {
  // The usual case, from what was read anyway: no call at all.
  if (st.zones.some((z) => z.name === BERTH_ZONE) && st.policies.includes(BERTH_POLICY)) return false;
  if (!words(await fwcmd('--permanent', '--get-zones')).includes(BERTH_ZONE)) {
    await fwcmd('--permanent', `--new-zone=${BERTH_ZONE}`);
    await fwcmd('--permanent', `--zone=${BERTH_ZONE}`, '--set-target=ACCEPT');
    await fwcmd('--permanent', `--zone=${BERTH_ZONE}`, '--set-description=Berth bridge networks: containers reach the host and, through the berth-forwarding policy, other hosts');
  }
  const policy = `--policy=${BERTH_POLICY}`;
  if (!words(await fwcmd('--permanent', '--get-policies')).includes(BERTH_POLICY)) {
    await fwcmd('--permanent', `--new-policy=${BERTH_POLICY}`);
  }
  // Each part on its own (firewall-cmd takes one of ingress and egress a call), checked, so a
  // policy a crash left half made is finished.
  const p = parsePolicy(await fwcmd('--permanent', `--info-policy=${BERTH_POLICY}`));
  for (const [have, arg] of [
    [p.ingress.includes(BERTH_ZONE), `--add-ingress-zone=${BERTH_ZONE}`],
    [p.egress.includes('ANY'), '--add-egress-zone=ANY'],
    [p.target === 'ACCEPT', '--set-target=ACCEPT'],
  ] as const) {
    if (have) continue;
    await fwcmd('--permanent', policy, arg);
  }
  // Made now, or by an earlier start that did not get to its reload.
  await fwcmd('--reload');
  return true;
}

/** A policy as `firewall-cmd --info-policy=NAME` prints it. */
export function parsePolicy(text: string): { target: string; ingress: string[]; egress: string[] } {
  const b = blocks(text)[0];
  return { target: b?.fields.get('target')?.trim() ?? '', ingress: words(b?.fields.get('ingress-zones')), egress: words(b?.fields.get('egress-zones')) };
}

/** Puts bridges in the berth zone (runtime: a reload drops them, and Berth puts them back). */
export async function bindToBerthZone(bridges: readonly string[]): Promise<void> {
  for (const b of bridges) await fwcmd(`--zone=${BERTH_ZONE}`, `--change-interface=${b}`);
}

export async function unbindFromBerthZone(bridges: readonly string[]): Promise<void> {
  for (const b of bridges) await runCommand('firewall-cmd', [`--zone=${BERTH_ZONE}`, `--remove-interface=${b}`], { allowFailure: true });
}
