import { BlockList, isIP } from 'node:net';
import type { RegistryHostsDir } from './registry-hosts-dir.js';

/** The daemon's registry settings (dockerd's --insecure-registry and --registry-mirror). */
export interface RegistrySettings {
  /** Hosts (`host:port`) or CIDRs allowed over plain HTTP or with unverified TLS. */
  insecureRegistries: string[];
  /** Mirrors of Docker Hub, tried first for docker.io pulls. */
  mirrors: string[];
  /** Mirrors of any registry (containerd's hosts.toml directory), tried before it. */
  hostsDir?: RegistryHostsDir | undefined;
}

export const NO_REGISTRY_SETTINGS: RegistrySettings = { insecureRegistries: [], mirrors: [] };

/** docker.io's API lives on another host, as docker's DefaultV2Registry. */
export function apiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

function hostname(host: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (m) return m[1]!;
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** As docker: loopback (127.0.0.0/8, ::1, localhost) is always insecure-allowed, plus what the daemon lists. */
export function isInsecure(host: string, settings: RegistrySettings): boolean {
  const name = hostname(host);
  if (name === 'localhost' || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'))) return true;
  for (const entry of settings.insecureRegistries) {
    if (entry === host || entry === name) return true;
    const cidr = /^([^/]+)\/(\d+)$/.exec(entry);
    if (cidr && isIP(name) && isIP(cidr[1]!) === isIP(name)) {
      const list = new BlockList();
      const type = isIP(name) === 4 ? 'ipv4' : 'ipv6';
      list.addSubnet(cidr[1]!, Number(cidr[2]), type);
      if (list.check(name, type)) return true;
    }
  }
  return false;
}
