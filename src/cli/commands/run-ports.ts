/**
 * `-p/--publish` and `--expose` (go-connections nat.ParsePortSpec and the CLI's long syntax):
 *
 *   80                 container port, random host port
 *   8080:80            host port 8080
 *   127.0.0.1:8080:80  bound to one address
 *   127.0.0.1::80      one address, random host port
 *   [::1]:8080:80      IPv6 address in brackets
 *   8000-8010:80-90    ranges of equal length; `8000-8010:80` lets the daemon pick in the range
 *   53/udp             protocol tcp (default), udp or sctp
 *   published=8080,target=80,protocol=udp   the long form
 */
import { isIP } from 'node:net';
import { FlagError } from './run-units.js';
import type { PortBinding } from '../../api/types/container.js';


export interface ParsedPorts {
  /** `"80/tcp": {}` entries of Config.ExposedPorts. */
  exposed: Record<string, Record<string, never>>;
  /** HostConfig.PortBindings. */
  bindings: Record<string, PortBinding[]>;
}

function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new FlagError('empty string specified for ports');
  const parse = (p: string): number => {
    if (!/^\d+$/.test(p) || Number(p) > 65535) throw new FlagError(`invalid port: ${p}`);
    return Number(p);
  };
  const dash = ports.indexOf('-');
  if (dash < 0) {
    const p = parse(ports);
    return [p, p];
  }
  const start = parse(ports.slice(0, dash));
  const end = parse(ports.slice(dash + 1));
  if (end < start) throw new FlagError(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: `80/udp` → ['udp', '80']; the default protocol is tcp. */
function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || (parts[0] ?? '') === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if ((parts[1] ?? '') === '') return ['tcp', parts[0] ?? ''];
  return [parts[1] ?? '', parts[0] ?? ''];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', raw];
  if (n === 2) return ['', parts[0] ?? '', parts[1] ?? ''];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2] ?? '', parts[n - 1] ?? ''];
}

/** The long syntax (`published=8080,target=80,protocol=udp`) becomes the short one first. */
function toStandardNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of spec.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new FlagError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

function addPortSpec(raw: string, out: ParsedPorts): void {
  const spec = toStandardNotation(raw);
  const [hostIp, hostPort, portAndProto] = splitParts(spec);
  const [rawProto, containerPort] = splitProtoPort(portAndProto);
  let ip = hostIp;
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new FlagError(`invalid IP address ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) throw new FlagError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new FlagError(`no port specified: ${spec}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new FlagError(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new FlagError(`invalid hostPort: ${hostPort}`);
    }
    // A host range with a single container port is a range for the daemon to pick from.
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new FlagError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const proto = rawProto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new FlagError(`invalid proto: ${proto}`);
  const count = end - start + 1;
  for (let i = 0; i < count; i++) {
    const key = `${start + i}/${proto}`;
    let hp = '';
    if (hostPort !== '') {
      hp = String(hostStart + i);
      if (count === 1 && hostStart !== hostEnd) hp += `-${hostEnd}`;
    }
    out.exposed[key] = {};
    (out.bindings[key] ??= []).push({ HostIp: ip, HostPort: hp });
  }
}

/** Parses every `-p` value into exposed ports and bindings. */
export function parsePublish(specs: readonly string[]): ParsedPorts {
  const out: ParsedPorts = { exposed: {}, bindings: {} };
  for (const s of specs) addPortSpec(s, out);
  return out;
}

/** `--expose 80`, `--expose 7000-7002/udp` → ExposedPorts keys. */
export function parseExpose(specs: readonly string[]): string[] {
  const keys: string[] = [];
  for (const e of specs) {
    if (e.includes(':')) throw new FlagError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new FlagError(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) keys.push(`${p}/${proto.toLowerCase()}`);
  }
  return keys;
}
