/**
 * docker's legacy links (`--link name:alias`, HostConfig.Links). On the default bridge the
 * linking container (the parent) gets, at each start, an /etc/hosts line for every linked
 * container (the child) and the child's address, ports and env as `ALIAS_*` variables
 * (moby's daemon/links). On a user-defined network HostConfig.Links mean nothing to the daemon
 * (the docker CLI copies them into the endpoint, where they are DNS aliases of the parent's
 * own): dockerd ignores them there, and so does Berth.
 */
import { InvalidParameterError, SystemError } from '../../core/errors.js';
import type { ContainerRecord, HostConfig, LegacyLink } from './container-types.js';

/** `name:alias`, `name`, or inspect's own `/name:/parent/alias` form (moby's opts.ParseLink). */
export function parseLink(value: string): { name: string; alias: string } {
  if (typeof value !== 'string' || value === '') throw new InvalidParameterError('empty string specified for links');
  const parts = value.split(':');
  if (parts.length > 2) throw new InvalidParameterError(`bad format for links: ${value}`);
  const [name = '', alias] = parts;
  if (alias === undefined) return { name, alias: name };
  if (name.startsWith('/')) return { name: name.slice(1), alias: alias.slice(alias.lastIndexOf('/') + 1) };
  return { name, alias };
}

const isUserDefined = (mode: string): boolean => !['', 'default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');

/**
 * At create: the children HostConfig.Links name, as dockerd's registerLinks finds them. A child
 * that does not exist is bad input (400: a 404 would make the docker CLI pull the image).
 */
export function registerLinks(hc: HostConfig, find: (ref: string) => ContainerRecord | undefined): LegacyLink[] {
  const raw = hc.Links;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((l) => typeof l !== 'string')) throw new InvalidParameterError('HostConfig.Links must be a list of strings');
  const links = raw as string[];
  if (links.length === 0) return [];
  if (hc.NetworkMode.startsWith('container:')) throw new InvalidParameterError("conflicting options: container type network can't be used with links. This would result in undefined behavior");
  if (hc.NetworkMode === 'host') throw new InvalidParameterError("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  if (isUserDefined(hc.NetworkMode)) return [];
  const out: LegacyLink[] = [];
  for (const l of links) {
    const { name, alias } = parseLink(l);
    let child = find(name);
    if (!child) throw new InvalidParameterError(`could not get container for ${name}: No such container: ${name}`);
    while (child.HostConfig.NetworkMode.startsWith('container:')) {
      const ref = child.HostConfig.NetworkMode.slice('container:'.length);
      child = find(ref);
      if (!child) throw new InvalidParameterError(`Could not get container for ${ref}: No such container: ${ref}`);
    }
    if (child.HostConfig.NetworkMode === 'host') throw new InvalidParameterError("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
    // As dockerd's name reservation of /parent/alias: a second link with the same alias is ignored.
    if (out.some((o) => o.Alias === alias)) continue;
    out.push({ Id: child.Id, Name: child.Name, Alias: alias });
  }
  return out;
}

/** inspect's HostConfig.Links: `/child:/parent/alias`, null without links. */
export function linksView(parent: ContainerRecord, find: (ref: string) => ContainerRecord | undefined): string[] | null {
  const links = parent.LegacyLinks ?? [];
  if (links.length === 0) return null;
  return links.map((l) => `${find(l.Id)?.Name ?? l.Name}:${parent.Name}/${l.Alias}`);
}

export interface LinkedAtStart {
  /** /etc/hosts lines: the child's address and `alias hostname name`. */
  hosts: Array<{ ip: string; names: string }>;
  /** The `ALIAS_*` variables, before the container's own Env (which wins). */
  env: string[];
}

/**
 * At the parent's start on the default bridge: every child must run there, and its address of
 * now goes into the parent's hosts and env (dockerd's setupLinkedContainers). A failure is a
 * server error there (500), with dockerd's words.
 */
export function linkedAtStart(parent: ContainerRecord, find: (ref: string) => ContainerRecord | undefined): LinkedAtStart {
  const out: LinkedAtStart = { hosts: [], env: [] };
  if (!parent.NetworkSettings?.Networks.bridge) return out;
  for (const l of parent.LegacyLinks ?? []) {
    const child = find(l.Id);
    const fullAlias = `${parent.Name}/${l.Alias}`;
    if (!child || !child.State.Running) throw new SystemError(`Cannot link to a non running container: ${child?.Name ?? l.Name} AS ${fullAlias}`);
    const ep = child.NetworkSettings?.Networks.bridge;
    if (!ep) throw new SystemError(`Cannot link to ${child.Name}, as it does not belong to the default network`);
    if (!ep.IPAddress) continue;
    const names = [l.Alias, child.Config.Hostname, ...(l.Alias !== child.Name.slice(1) ? [child.Name.slice(1)] : [])].filter((n) => n !== '');
    out.hosts.push({ ip: ep.IPAddress, names: names.join(' ') });
    out.env.push(...linkEnv(fullAlias, ep.IPAddress, child.Config.Env, Object.keys(child.Config.ExposedPorts ?? {})));
  }
  return out;
}

interface Port {
  port: number;
  proto: string;
}

/** moby's Link.ToEnv: `ALIAS_PORT`, per-port and range variables, `ALIAS_NAME`, `ALIAS_ENV_*`. */
export function linkEnv(fullAlias: string, childIp: string, childEnv: readonly string[], exposed: readonly string[]): string[] {
  const alias = fullAlias.slice(fullAlias.lastIndexOf('/') + 1).toUpperCase().replaceAll('-', '_');
  const ports: Port[] = exposed.map((k) => {
    const [p = '', proto = 'tcp'] = k.split('/');
    return { port: Number(p), proto: proto.toLowerCase() };
  });
  // Ascending by number, tcp before udp for the same number (nat.Sort with moby's less).
  ports.sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const env: string[] = [];
  const first = ports[0];
  if (first) env.push(`${alias}_PORT=${first.proto}://${childIp}:${first.port}`);
  for (let i = 0; i < ports.length;) {
    const p = ports[i] as Port;
    const j = nextContiguous(ports, p.port, i);
    if (j > i + 1) {
      const q = ports[j] as Port;
      const key = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
      env.push(`${key}_START=${p.proto}://${childIp}:${p.port}`, `${key}_ADDR=${childIp}`, `${key}_PROTO=${p.proto}`, `${key}_PORT_START=${p.port}`);
      env.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${childIp}:${q.port}`, `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`);
      i = j + 1;
    } else i++;
  }
  for (const p of ports) {
    const key = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${key}=${p.proto}://${childIp}:${p.port}`, `${key}_ADDR=${childIp}`, `${key}_PORT=${p.port}`, `${key}_PROTO=${p.proto}`);
  }
  env.push(`${alias}_NAME=${fullAlias}`);
  for (const v of childEnv) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const key = v.slice(0, eq);
    // Set by builds, and no use to the linking container.
    if (key === 'HOME' || key === 'PATH') continue;
    env.push(`${alias}_ENV_${key}=${v.slice(eq + 1)}`);
  }
  return env;
}

function nextContiguous(ports: readonly Port[], start: number, index: number): number {
  if (index + 1 === ports.length) return index;
  let value = start;
  for (let i = index + 1; i < ports.length; i++) {
    if ((ports[i] as Port).port > value + 1) return i - 1;
    value++;
  }
  return ports.length - 1;
}
