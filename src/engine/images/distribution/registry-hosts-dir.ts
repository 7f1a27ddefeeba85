/**
 * Registry mirrors for any registry, in containerd's hosts directory format, so a host set up
 * for containerd (or an air-gapped cluster's mirror of registry.k8s.io) works the same with
 * Berth: `<dir>/<registry host>/hosts.toml`, or `<dir>/_default/hosts.toml` for a registry
 * without its own. dockerd's --registry-mirror covers Docker Hub only.
 *
 *   server = "https://registry.k8s.io"        # the registry itself, tried last (default: https://<host>)
 *   [host."http://10.0.0.5:5000"]             # mirrors, tried first, in the file's order
 *     capabilities = ["pull", "resolve"]
 *     skip_verify = true                      # TLS without verification
 *
 * The file is read at each pull (a few bytes), so a change needs no daemon restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { errnoCode, errorMessage, InvalidParameterError } from '../../../core/errors.js';

export interface RegistryEndpoint {
  /** host[:port], as RegistryHttp takes it. */
  host: string;
  /** http:// (or TLS without verification): the host is treated as an insecure registry. */
  insecure: boolean;
}

export interface RegistryHostsConfig {
  /** Mirrors that may serve pulls, in order. */
  mirrors: RegistryEndpoint[];
  /** The registry itself, when the file names another server. */
  server: RegistryEndpoint | undefined;
}

const NONE: RegistryHostsConfig = { mirrors: [], server: undefined };

function endpoint(url: string, skipVerify: boolean, file: string): RegistryEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidParameterError(`${file}: "${url}" is not a URL: write a registry as http(s)://host[:port]`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidParameterError(`${file}: "${url}" is neither http:// nor https://`);
  if (u.pathname !== '/' && u.pathname !== '' && u.pathname !== '/v2' && u.pathname !== '/v2/') {
    throw new InvalidParameterError(`${file}: "${url}" has a path: Berth reaches mirrors at /v2/ of their host only (containerd's override_path is not supported)`);
  }
  return { host: u.host, insecure: u.protocol === 'http:' || skipVerify };
}

/** Parses one hosts.toml (pure). */
export function parseHostsToml(text: string, file: string): RegistryHostsConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidParameterError(`${file} is not valid TOML: ${errorMessage(err).split('\n')[0]}`);
  }
  const mirrors: RegistryEndpoint[] = [];
  const hosts = (doc.host ?? {}) as Record<string, Record<string, unknown>>;
  for (const [url, table] of Object.entries(hosts)) {
    const caps = table.capabilities ?? ['pull', 'resolve', 'push'];
    if (!Array.isArray(caps)) throw new InvalidParameterError(`${file}: host."${url}".capabilities must be a list like ["pull", "resolve"]`);
    if (!caps.includes('pull')) continue;
    mirrors.push(endpoint(url, table.skip_verify === true, file));
  }
  const server = typeof doc.server === 'string' ? endpoint(doc.server, doc.skip_verify === true, file) : undefined;
  return { mirrors, server };
}

export class RegistryHostsDir {
  constructor(readonly dir: string) {}

  /** The mirrors and server for `domain` (docker.io, registry.k8s.io, host:port…); none without a file. */
  async forRegistry(domain: string): Promise<RegistryHostsConfig> {
    // `host:port` as containerd names it; `host_port` where a colon cannot be in a file name.
    for (const name of new Set([domain, domain.replace(':', '_'), '_default'])) {
      const file = join(this.dir, name, 'hosts.toml');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue;
        throw err;
      }
      return parseHostsToml(text, file);
    }
    return NONE;
  }
}
