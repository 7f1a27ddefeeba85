/**
 * `--network` (short `NAME` or long `name=NAME,alias=A,ip=…`), `--network-alias`, `--link`,
 * `--ip`, `--ip6`, `--mac-address`, `--link-local-ip` → HostConfig.NetworkMode and
 * NetworkingConfig.EndpointsConfig, as docker's parseNetworkOpts builds them: the container-wide
 * flags apply to the first network; without `--network` the endpoint is keyed `default`.
 */
import type { EndpointSettings } from '../../api/types/container.js';
import { FlagError } from './run-units.js';

export interface NetworkFlags {
  network?: string[];
  net?: string[];
  networkAlias?: string[];
  netAlias?: string[];
  link?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  linkLocalIp?: string[];
}

interface Attachment {
  target: string;
  aliases: string[];
  links: string[];
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  linkLocal: string[];
  driverOpts: Record<string, string>;
  gwPriority?: number;
}

const isUserDefined = (mode: string): boolean => !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');

/** One `--network` value (docker cli opts.NetworkOpt). */
export function parseNetworkOpt(value: string): Attachment {
  const att: Attachment = { target: value, aliases: [], links: [], linkLocal: [], driverOpts: {} };
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return att;
  att.target = '';
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? '' : field.slice(0, eq).trim().toLowerCase();
    const val = eq < 0 ? '' : field.slice(eq + 1).trim();
    if (key === '') throw new FlagError(`invalid field ${field}`);
    switch (key) {
      case 'name': att.target = val; break;
      case 'alias': att.aliases.push(val); break;
      case 'ip': att.ipv4 = val; break;
      case 'ip6': att.ipv6 = val; break;
      case 'mac-address': att.mac = val; break;
      case 'link-local-ip': att.linkLocal.push(val); break;
      case 'driver-opt': {
        const deq = val.indexOf('=');
        if (deq < 0) throw new FlagError(`invalid key value pair format in driver options`);
        att.driverOpts[val.slice(0, deq).trim().toLowerCase()] = val.slice(deq + 1).trim().toLowerCase();
        break;
      }
      case 'gw-priority':
        if (!/^-?\d+$/.test(val)) throw new FlagError(`invalid gw-priority: ${val}`);
        att.gwPriority = Number(val);
        break;
      default: throw new FlagError(`invalid field key ${key}`);
    }
  }
  if (att.target === '') throw new FlagError('network name/id is not specified');
  return att;
}

/** The container-wide flags merged into the first attachment; a flag and a per-network value conflict. */
function applyContainerFlags(att: Attachment, flags: NetworkFlags): void {
  const aliases = [...(flags.networkAlias ?? []), ...(flags.netAlias ?? [])];
  const conflict = (what: string): never => {
    throw new FlagError(`conflicting options: cannot specify both ${what}`);
  };
  if (aliases.length > 0) {
    if (att.aliases.length > 0) conflict('--network-alias and per-network alias');
    att.aliases = aliases;
  }
  if (isUserDefined(att.target) && (flags.link ?? []).length > 0) att.links = [...(flags.link ?? [])];
  if (flags.ip !== undefined) {
    if (att.ipv4 !== undefined) conflict('--ip and per-network IPv4 address');
    att.ipv4 = flags.ip;
  }
  if (flags.ip6 !== undefined) {
    if (att.ipv6 !== undefined) conflict('--ip6 and per-network IPv6 address');
    att.ipv6 = flags.ip6;
  }
  if (flags.macAddress !== undefined) {
    if (att.mac !== undefined) conflict('--mac-address and per-network MAC address');
    att.mac = flags.macAddress;
  }
  if ((flags.linkLocalIp ?? []).length > 0) {
    if (att.linkLocal.length > 0) conflict('--link-local-ip and per-network link-local IP addresses');
    att.linkLocal = [...(flags.linkLocalIp ?? [])];
  }
}

function endpointOf(att: Attachment): EndpointSettings {
  if (!isUserDefined(att.target)) {
    if (att.aliases.length > 0) throw new FlagError('network-scoped aliases are only supported for user-defined networks');
    if (att.links.length > 0) throw new FlagError('links are only supported for user-defined networks');
  }
  const ep: EndpointSettings = {};
  if (att.aliases.length > 0) ep.Aliases = att.aliases;
  if (att.links.length > 0) ep.Links = att.links;
  if (Object.keys(att.driverOpts).length > 0) ep.DriverOpts = att.driverOpts;
  if (att.gwPriority !== undefined) ep.GwPriority = att.gwPriority;
  if (att.ipv4 !== undefined || att.ipv6 !== undefined || att.linkLocal.length > 0) {
    ep.IPAMConfig = {
      ...(att.ipv4 !== undefined ? { IPv4Address: att.ipv4 } : {}),
      ...(att.ipv6 !== undefined ? { IPv6Address: att.ipv6 } : {}),
      ...(att.linkLocal.length > 0 ? { LinkLocalIPs: att.linkLocal } : {}),
    };
  }
  if (att.mac !== undefined) {
    if (!/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(att.mac.trim())) throw new FlagError(`${att.mac} is not a valid mac address`);
    ep.MacAddress = att.mac.trim();
  }
  return ep;
}

export function parseNetworking(flags: NetworkFlags): { mode: string; endpoints: Record<string, EndpointSettings> } {
  const values = [...(flags.network ?? []), ...(flags.net ?? [])];
  const attachments = values.map(parseNetworkOpt);
  const endpoints: Record<string, EndpointSettings> = {};
  if (attachments.length === 0) {
    const att: Attachment = { target: 'default', aliases: [], links: [], linkLocal: [], driverOpts: {} };
    applyContainerFlags(att, flags);
    endpoints.default = endpointOf(att);
    return { mode: 'default', endpoints };
  }
  const kinds = new Set(attachments.map((a) => isUserDefined(a.target)));
  if (kinds.size > 1) throw new FlagError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  attachments.forEach((att, i) => {
    if (i === 0) applyContainerFlags(att, flags);
    const ep = endpointOf(att);
    if (att.target in endpoints) throw new FlagError(`network "${att.target}" is specified multiple times`);
    // One network without settings: docker leaves the endpoint out (the daemon creates it anyway).
    if (attachments.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[att.target] = ep;
  });
  return { mode: attachments[0]?.target ?? 'default', endpoints };
}
