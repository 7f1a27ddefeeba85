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
  internal: boolean;
  masquerade: boolean;
}

export interface NftPort {
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' or 0.0.0.0: every local address except loopback-only ones. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const q = (name: string): string => JSON.stringify(name);
const isLoopback = (ip: string): boolean => ip.startsWith('127.');

function dnatRule(p: NftPort): string {
  const daddr = p.hostIp === '' || p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
  return `${daddr}${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`;
}

/**
 * Published ports are DNAT: `prerouting` serves other hosts and containers (the bridge
 * gateway is a local address), `output` serves the host itself. A port bound to 127.0.0.1 is
 * only in `output`: it can never be reached from outside or from a container (CVE-2025-54388's
 * class), and packets arriving on a Berth bridge for 127.0.0.0/8 are dropped before routing.
 */
export function renderRuleset(table: string, networks: readonly NftNetwork[], ports: readonly NftPort[]): string {
  const bridges = networks.map((n) => q(n.bridge));
  const L: string[] = [`table ip ${table}`, `delete table ip ${table}`, `table ip ${table} {`];
  L.push('  chain published {');
  for (const p of ports) if (!isLoopback(p.hostIp)) L.push(`    ${dnatRule(p)}`);
  L.push('  }', '  chain published_local {');
  for (const p of ports) L.push(`    ${dnatRule(p)}`);
  L.push('  }');
  L.push('  chain prerouting {', '    type nat hook prerouting priority -100; policy accept;', '    fib daddr type local jump published', '  }');
  L.push('  chain output {', '    type nat hook output priority -100; policy accept;', '    fib daddr type local jump published_local', '  }');
  L.push('  chain postrouting {', '    type nat hook postrouting priority 100; policy accept;');
  for (const n of networks) {
    L.push(`    oifname ${q(n.bridge)} ip saddr 127.0.0.0/8 masquerade`);
    // Hairpin: a container reaching a published port through the host answers via the host.
    L.push(`    oifname ${q(n.bridge)} ip saddr ${n.subnet} ct status dnat masquerade`);
    if (!n.internal && n.masquerade) L.push(`    oifname != ${q(n.bridge)} ip saddr ${n.subnet} masquerade`);
  }
  L.push('  }');
  L.push('  chain forward {', '    type filter hook forward priority 0; policy accept;');
  for (const n of networks) {
    if (n.internal) {
      L.push(`    iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`, `    oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
    }
  }
  L.push('    ct status dnat accept');
  for (const n of networks) {
    const others = bridges.filter((b) => b !== q(n.bridge));
    if (others.length > 0) L.push(`    iifname ${q(n.bridge)} oifname { ${others.join(', ')} } drop`);
  }
  L.push('  }');
  if (bridges.length > 0) {
    L.push('  chain guard {', '    type filter hook prerouting priority -300; policy accept;', `    iifname { ${bridges.join(', ')} } ip daddr 127.0.0.0/8 drop`, '  }');
  }
  L.push('}');
  return L.join('\n') + '\n';
}

export async function applyRuleset(script: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { input: script });
}

export async function deleteTable(table: string): Promise<void> {
  await runCommand('nft', ['delete', 'table', 'ip', table], { allowFailure: true });
}
