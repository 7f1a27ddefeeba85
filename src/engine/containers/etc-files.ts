import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDerivedFile } from '../../core/atomic-write.js';
import { InvalidParameterError } from '../../core/errors.js';

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/**
 * The container's /etc/hostname, /etc/hosts and /etc/resolv.conf, generated in its directory
 * and bind-mounted, as docker does. `--add-host` entries live in the record, so they are written
 * again at every start and survive restarts.
 */
export async function writeEtcFiles(dir: string, opts: { hostname: string; domainname: string; extraHosts: readonly string[]; hostNetwork: boolean }): Promise<EtcFiles> {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  const fqdn = opts.domainname ? `${opts.hostname}.${opts.domainname}` : opts.hostname;
  await writeDerivedFile(files.hostname, `${opts.hostname}\n`);
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
      `127.0.1.1\t${fqdn === opts.hostname ? opts.hostname : `${fqdn} ${opts.hostname}`}`,
    ].join('\n') + '\n';
  }
  for (const entry of opts.extraHosts) {
    const sep = entry.indexOf(':');
    if (sep <= 0) throw new InvalidParameterError(`invalid add-host "${entry}": use HOST:IP`);
    hosts += `${entry.slice(sep + 1)}\t${entry.slice(0, sep)}\n`;
  }
  await writeDerivedFile(files.hosts, hosts);
  await writeDerivedFile(files.resolvConf, await containerResolvConf());
  return files;
}

/** The host's resolv.conf, with loopback resolvers (systemd-resolved's 127.0.0.53) replaced as docker does. */
export async function containerResolvConf(path = '/etc/resolv.conf'): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return lines.filter((l, i) => l !== '' || i < lines.length - 1).join('\n').trim() + '\n';
}
