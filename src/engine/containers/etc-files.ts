import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDerivedFile } from '../../core/atomic-write.js';
import { InvalidParameterError } from '../../core/errors.js';

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export interface EtcOptions {
  hostname: string;
  domainname: string;
  extraHosts: readonly string[];
  hostNetwork: boolean;
  /** The container's own addresses (first network first): `/etc/hosts` names it by them. */
  addresses?: readonly string[];
  /** The first network's IPv6 address, on an IPv6 network: dockerd names the container by it too. */
  address6?: string;
  /** Legacy links: each linked container's address and names, after the `--add-host` lines. */
  links?: ReadonlyArray<{ ip: string; names: string }>;
  /** `--add-host name:host-gateway` resolves to this (the default bridge's gateway). */
  hostGateway?: string;
  /** `--dns`: replaces the host's nameservers. */
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  /** The embedded DNS server of a user-defined network, asked first. */
  embeddedDns?: readonly string[];
}

/**
 * The container's /etc/hostname, /etc/hosts and /etc/resolv.conf, generated in its directory
 * and bind-mounted, as docker does. `--add-host` and `--dns*` live in the record, so the files
 * are written again at every start and survive restarts and daemon restarts.
 */
export async function writeEtcFiles(dir: string, opts: EtcOptions): Promise<EtcFiles> {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  const [hosts, resolvConf] = await Promise.all([hostsFile(opts), containerResolvConf('/etc/resolv.conf', opts)]);
  await Promise.all([
    writeDerivedFile(files.hostname, `${opts.hostname}\n`),
    writeDerivedFile(files.hosts, hosts),
    writeDerivedFile(files.resolvConf, resolvConf),
  ]);
  return files;
}

const HOST_NAME = 'host.docker.internal';

async function hostsFile(opts: EtcOptions): Promise<string> {
  const fqdn = opts.domainname ? `${opts.hostname}.${opts.domainname}` : opts.hostname;
  const names = fqdn === opts.hostname ? opts.hostname : `${fqdn} ${opts.hostname}`;
  let hosts: string;
  if (opts.hostNetwork) hosts = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n');
  else {
    hosts = [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'ff00::0\tip6-mcastprefix',
      'ff02::1\tip6-allnodes',
      'ff02::2\tip6-allrouters',
    ].join('\n') + '\n';
  }
  for (const entry of opts.extraHosts) {
    const sep = entry.indexOf(':');
    if (sep <= 0) throw new InvalidParameterError(`invalid add-host "${entry}": use HOST:IP`);
    let ip = entry.slice(sep + 1);
    if (ip === 'host-gateway') ip = opts.hostGateway ?? '127.0.0.1';
    hosts += `${ip}\t${entry.slice(0, sep)}\n`;
  }
  for (const l of opts.links ?? []) hosts += `${l.ip}\t${l.names}\n`;
  // Docker Desktop's name for the host, which compose files and guides rely on: the default
  // bridge's gateway, unless the user gave the name (`--add-host host.docker.internal:…`).
  const named = opts.extraHosts.some((e) => e.slice(0, e.indexOf(':')) === HOST_NAME);
  if (!opts.hostNetwork && !named && opts.hostGateway && opts.hostGateway !== '127.0.0.1') hosts += `${opts.hostGateway}\t${HOST_NAME}\n`;
  // docker writes the container's own entry last; without an address (none) it is 127.0.1.1-less.
  if (!opts.hostNetwork) {
    const own = opts.addresses?.[0];
    if (own) hosts += `${own}\t${names}\n${opts.address6 ? `${opts.address6}\t${names}\n` : ''}`;
    else hosts += `127.0.1.1\t${names}\n`;
  }
  return hosts;
}

/**
 * The container's resolv.conf: the host's, with loopback resolvers (systemd-resolved's
 * 127.0.0.53) replaced as docker does — by systemd-resolved's real upstreams when that file
 * exists, else by Google's public servers — then `--dns`, `--dns-search`, `--dns-option`.
 */
export async function containerResolvConf(path = '/etc/resolv.conf', opts: Pick<EtcOptions, 'dns' | 'dnsSearch' | 'dnsOptions' | 'embeddedDns'> = {}): Promise<string> {
  let text = await readFile(path, 'utf8').catch(() => '');
  if (/^\s*nameserver\s+127\.0\.0\.53\b/m.test(text)) text = await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => text);
  const lines = text.split('\n');
  const hostServers = lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => s !== undefined && !/^(127\.|::1$)/.test(s));
  let search = lines.map((l) => /^\s*(?:search|domain)\s+(.*)$/.exec(l)?.[1]).filter((s): s is string => s !== undefined).flatMap((s) => s.trim().split(/\s+/));
  let options = lines.map((l) => /^\s*options\s+(.*)$/.exec(l)?.[1]).filter((s): s is string => s !== undefined).flatMap((s) => s.trim().split(/\s+/));
  let servers = opts.dns && opts.dns.length > 0 ? [...opts.dns] : hostServers;
  if (servers.length === 0) servers = ['8.8.8.8', '8.8.4.4'];
  // As docker's 127.0.0.11: the embedded server alone; it forwards to `--dns` itself.
  if (opts.embeddedDns && opts.embeddedDns.length > 0) servers = [...opts.embeddedDns];
  if (opts.dnsSearch && opts.dnsSearch.length > 0) search = opts.dnsSearch.filter((s) => s !== '.');
  if (opts.dnsOptions && opts.dnsOptions.length > 0) options = [...opts.dnsOptions];
  const out = [
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...servers.map((s) => `nameserver ${s}`),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ];
  return out.join('\n') + '\n';
}

/** The nameservers berthd itself forwards to (loopback ones included: berthd runs on the host). */
export async function hostNameservers(path = '/etc/resolv.conf'): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => s !== undefined);
}
