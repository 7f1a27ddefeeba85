/**
 * Port display: the PORTS column of `ps` (docker's DisplayablePorts, which groups consecutive
 * ports into ranges) and `berth port CONTAINER [PORT[/PROTO]]`.
 */
import type { Command } from 'commander';
import { renderTable } from '../format/table.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { inspectContainer } from './container-inspect.js';

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ipA = a.IP ?? '';
  const ipB = b.IP ?? '';
  if (ipA !== ipB) return ipA < ipB ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  // The key is `type` or `ip/type`.
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = String(first);
  if (first !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${ip}:${group}->${group}`;
  return `${group}/${type}`;
}

/** `0.0.0.0:8080->80/tcp, :::8080->80/tcp, 9000-9002/udp` as docker ps prints them. */
export function displayablePorts(ports: readonly PortSummary[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key = p.Type;
    if ((p.IP ?? '') !== '') {
      if (p.PublicPort !== current) {
        hostMappings.push(`${p.IP ?? ''}:${p.PublicPort ?? 0}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP ?? ''}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** Go's net.JoinHostPort: IPv6 hosts get brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Natural order ("9" before "10"), as docker sorts port lines. */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i] ?? '';
    const y = tb[i] ?? '';
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) return Number(x) - Number(y) || x.length - y.length;
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

interface PortAudit {
  Container: string;
  Proto: string;
  HostIp: string;
  HostPort: number;
  ContainerPort: number;
  Reachable: string;
  From: string[];
  Reason: string;
  Fix: string;
}

async function portAudit(ctx: CliContext): Promise<void> {
  const { Ports: ports } = await ctx.client.json<{ Firewall: string; Ports: PortAudit[] }>({ method: 'GET', path: '/berth/v1/ports/audit' });
  const rows = ports.map((p) => [p.Container, `${joinHostPort(p.HostIp, String(p.HostPort))}/${p.Proto}`, String(p.ContainerPort), p.Reachable === 'partly' ? `from ${p.From.join(', ')}` : p.Reachable, p.Reason, p.Fix]);
  ctx.out(renderTable(['CONTAINER', 'PUBLISHED', 'TO', 'FROM OUTSIDE', 'WHY', 'TO CHANGE IT'], rows));
}

export function definePort(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('CONTAINER [PRIVATE_PORT[/PROTO]]')
    .description(
      parent.parent === null
        ? 'List port mappings or a specific mapping for the container; `berth port audit`: whether each published port is reachable from other hosts, why, and how to change it'
        : 'List port mappings or a specific mapping for the container',
    )
    .argument('<container>')
    .argument('[port]')
    .action(async (container: string, port: string | undefined) => {
      // Berth's own `port audit` (a container named audit: `berth container port audit`).
      if (parent.parent === null && container === 'audit' && port === undefined) return await portAudit(ctx);
      const c = await inspectContainer(ctx, container);
      const ports = c.NetworkSettings?.Ports ?? {};
      const out: string[] = [];
      if (port !== undefined) {
        const slash = port.indexOf('/');
        const num = slash < 0 ? port : port.slice(0, slash);
        const proto = slash < 0 || port.slice(slash + 1) === '' ? 'tcp' : port.slice(slash + 1);
        if (!/^\d+$/.test(num) || Number(num) > 65535) {
          throw new CliExit(1, `Error: invalid port (${num}): strconv.ParseUint: parsing "${num}": invalid syntax`);
        }
        const frontends = ports[`${num}/${proto}`] ?? [];
        if (frontends.length === 0) throw new CliExit(1, `Error: No public port '${port}' published for ${container}`);
        for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
      } else {
        for (const [from, frontends] of Object.entries(ports)) {
          for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
        }
      }
      if (out.length > 0) ctx.out(out.sort(naturalCompare).join('\n'));
    });
}
