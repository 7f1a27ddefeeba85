/**
 * HostConfig.PortBindings (+ PublishAllPorts with the exposed ports) → the bindings to set up,
 * checked as dockerd checks them. Pure: the host ports are chosen later, when they are bound.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidParameterError } from '../../core/errors.js';
import type { PortProto } from '../../drivers/network/port-reservation.js';

export interface PlannedPort {
  key: string;
  proto: PortProto;
  containerPort: number;
  hostIp: string;
  /** Inclusive range to pick from; [0, 0] means any free port. */
  hostRange: [number, number];
}

function parsePortKey(key: string): { port: number; proto: PortProto } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new InvalidParameterError(`invalid port specification: "${key}"`);
  return { port: Number(m[1]), proto: (m[2]?.toLowerCase() ?? 'tcp') as PortProto };
}

function parseHostPort(text: string, key: string): [number, number] {
  if (text === '' || text === '0') return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || start < 1 || end > 65535 || end < start) throw new InvalidParameterError(`invalid host port "${text}" for ${key}`);
  return [start, end];
}

export function planPorts(bindings: Record<string, unknown> | null | undefined, exposed: Record<string, unknown> | undefined, publishAll: boolean): PlannedPort[] {
  const out: PlannedPort[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    seen.add(`${port}/${proto}`);
    const entries = Array.isArray(list) && list.length > 0 ? (list as Array<{ HostIp?: string; HostPort?: string }>) : [{}];
    for (const b of entries) {
      let hostIp = String(b.HostIp ?? '');
      if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
      if (hostIp !== '' && !isIPv4(hostIp) && !isIPv6(hostIp)) throw new InvalidParameterError(`invalid host IP address "${hostIp}" for ${key}`);
      out.push({ key: `${port}/${proto}`, proto, containerPort: port, hostIp: hostIp === '0.0.0.0' ? '' : hostIp, hostRange: parseHostPort(String(b.HostPort ?? ''), key) });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ key: `${port}/${proto}`, proto, containerPort: port, hostIp: '', hostRange: [0, 0] });
    }
  }
  return out;
}


/** Published ports with a fixed host port (a random one is known only at start), from `PortBindings`. */
export function fixedBindings(bindings: Record<string, unknown> | null | undefined): Array<{ proto: 'tcp' | 'udp' | 'sctp'; hostIp: string; hostPort: number }> {
  return Object.entries(bindings ?? {}).flatMap(([key, list]) => {
    const proto = (key.split('/')[1] ?? 'tcp') as 'tcp' | 'udp' | 'sctp';
    return ((list as Array<{ HostIp?: string; HostPort?: string }> | null) ?? []).flatMap((b) => (/^\d+$/.test(b.HostPort ?? '') ? [{ proto, hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) }] : []));
  });
}
