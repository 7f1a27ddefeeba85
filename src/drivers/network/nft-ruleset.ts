/**
 * Berth's nftables ruleset, rendered whole from the daemon's state and swapped in one
 * transaction (`nft -f`): the table is deleted and rebuilt atomically, so every change is exact
 * (nothing stale survives) and a daemon start after a crash reconciles by rendering again.
 * Only Berth's own table is ever touched; the host's ruleset is never flushed.
 */
import { runCommand } from '../../core/run-command.js';

export interface NftNetwork {
  bridge: string;
  subnet: string;
  /** The IPv6 subnet of an IPv6-enabled network. */
  subnet6?: string | undefined;
  internal: boolean;
  masquerade: boolean;
}

/**
 * One published port of one family. IPv4: hostIp '' (or 0.0.0.0) is every local address except
 * loopback-only ones. IPv6: hostIp '::' is every local IPv6 address; it is DNAT only when the
 * container has an IPv6 address (containerIp), and ::1 never is (the kernel does not route
 * loopback off the host): those reach the container through berthd's proxy (port-reservation.ts).
 */
export interface NftPort {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const q = (name: string): string => JSON.stringify(name);
const isLoopback = (ip: string): boolean => ip.startsWith('127.');
const isV6 = (ip: string): boolean => ip.includes(':');

function dnatRule(p: NftPort): string {
  const daddr = p.hostIp === '' || p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
  return `${daddr}${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`;
}

function dnat6Rule(p: NftPort): string {
  const daddr = p.hostIp === '::' ? '' : `ip6 daddr ${p.hostIp} `;
  return `${daddr}${p.proto} dport ${p.hostPort} dnat to [${p.containerIp}]:${p.containerPort}`;
}

/** Forward-chain isolation, the same in both families: internal networks stay in, networks apart. */
function forwardRules(networks: readonly NftNetwork[]): string[] {
  const bridges = networks.map((n) => q(n.bridge));
  const L: string[] = [];
  for (const n of networks) {
    if (n.internal) L.push(`    iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`, `    oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
  }
  L.push('    ct status dnat accept');
  for (const n of networks) {
    const others = bridges.filter((b) => b !== q(n.bridge));
    if (others.length > 0) L.push(`    iifname ${q(n.bridge)} oifname { ${others.join(', ')} } drop`);
  }
  return L;
}

/** The NAT hooks both families share: other hosts and containers by prerouting, the host by output. */
function natHooks(localMatch: string, localChain: string): string[] {
  return [
    '  chain prerouting {', '    type nat hook prerouting priority -100; policy accept;', '    fib daddr type local jump published', '  }',
    '  chain output {', '    type nat hook output priority -100; policy accept;', `    ${localMatch}fib daddr type local jump ${localChain}`, '  }',
  ];
}

/**
 * The IPv6 half, in its own `ip6` table of the same name: NAT66 out, published ports of
 * containers with an IPv6 address, and the same isolation as IPv4. Empty (deleted) when no
 * network has IPv6, so a host without IPv6 networks gets no IPv6 rule from Berth.
 */
function render6(table: string, networks: readonly NftNetwork[], ports: readonly NftPort[]): string[] {
  const L: string[] = [`table ip6 ${table}`, `delete table ip6 ${table}`];
  const nets6 = networks.filter((n) => n.subnet6);
  if (nets6.length === 0) return L;
  const dnat = ports.filter((p) => isV6(p.hostIp) && isV6(p.containerIp) && p.hostIp !== '::1');
  L.push(`table ip6 ${table} {`, '  chain published {');
  for (const p of dnat) L.push(`    ${dnat6Rule(p)}`);
  L.push('  }');
  L.push(...natHooks('ip6 daddr != ::1 ', 'published'));
  L.push('  chain postrouting {', '    type nat hook postrouting priority 100; policy accept;');
  for (const n of nets6) {
    L.push(`    oifname ${q(n.bridge)} ip6 saddr ${n.subnet6} ct status dnat masquerade`);
    if (!n.internal && n.masquerade) L.push(`    oifname != ${q(n.bridge)} ip6 saddr ${n.subnet6} masquerade`);
  }
  L.push('  }');
  L.push('  chain forward {', '    type filter hook forward priority 0; policy accept;', ...forwardRules(networks), '  }');
  L.push('}');
  return L;
}

/**
 * Published ports are DNAT: `prerouting` serves other hosts and containers (the bridge
 * gateway is a local address), `output` serves the host itself. A port bound to 127.0.0.1 is
 * only in `output`: it can never be reached from outside or from a container (CVE-2025-54388's
 * class), and packets arriving on a Berth bridge for 127.0.0.0/8 are dropped before routing.
 */
export function renderRuleset(table: string, networks: readonly NftNetwork[], allPorts: readonly NftPort[]): string {
  const bridges = networks.map((n) => q(n.bridge));
  const ports = allPorts.filter((p) => !isV6(p.hostIp) && !isV6(p.containerIp));
  const L: string[] = [`table ip ${table}`, `delete table ip ${table}`, `table ip ${table} {`];
  L.push('  chain published {');
  for (const p of ports) if (!isLoopback(p.hostIp)) L.push(`    ${dnatRule(p)}`);
  L.push('  }', '  chain published_local {');
  for (const p of ports) L.push(`    ${dnatRule(p)}`);
  L.push('  }');
  L.push(...natHooks('', 'published_local'));
  L.push('  chain postrouting {', '    type nat hook postrouting priority 100; policy accept;');
  for (const n of networks) {
    L.push(`    oifname ${q(n.bridge)} ip saddr 127.0.0.0/8 masquerade`);
    // Hairpin: a container reaching a published port through the host answers via the host.
    L.push(`    oifname ${q(n.bridge)} ip saddr ${n.subnet} ct status dnat masquerade`);
    if (!n.internal && n.masquerade) L.push(`    oifname != ${q(n.bridge)} ip saddr ${n.subnet} masquerade`);
  }
  L.push('  }');
  L.push('  chain forward {', '    type filter hook forward priority 0; policy accept;', ...forwardRules(networks), '  }');
  if (bridges.length > 0) {
    L.push('  chain guard {', '    type filter hook prerouting priority -300; policy accept;', `    iifname { ${bridges.join(', ')} } ip daddr 127.0.0.0/8 drop`, '  }');
  }
  L.push('}');
  L.push(...render6(table, networks, allPorts));
  return L.join('\n') + '\n';
}

export async function applyRuleset(script: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { input: script });
}

export async function deleteTable(table: string): Promise<void> {
  await runCommand('nft', ['delete', 'table', 'ip', table], { allowFailure: true });
  await runCommand('nft', ['delete', 'table', 'ip6', table], { allowFailure: true });
}
