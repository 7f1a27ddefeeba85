/**
 * The network config directory (`/etc/cni/net.d`) read as the CRI runtimes read it: `.conf`,
 * `.conflist` and `.json` files in lexical order, the first usable one is the pod network. As in
 * CRI-O's ocicni (libcni's ValidateNetworkList), a file is usable when it parses, every plugin it
 * names is in a bin dir, and each plugin supports the file's cniVersion (its VERSION command); the
 * others are skipped with the reason kept for the runtime's status. Read again on every call, but
 * parsed and checked again only when a config file or a chosen plugin binary changed, so a cluster's
 * network plugin that installs its config later is picked up by the next status.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../core/errors.js';
import { configFileOrder, parseConfigFile, type CniNetworkConfig } from './cni-config.js';
import { execPlugin, findPlugin } from './cni-exec.js';

export interface LoadedCniNetwork {
  config: CniNetworkConfig;
  /** Each plugin's binary, in the list's order. */
  pluginPaths: string[];
}

export interface CniConfLoad {
  network?: LoadedCniNetwork;
  /** Config files that were tried and not used, with why. */
  skipped: Array<{ file: string; reason: string }>;
}

/** What a plugin answers to VERSION. */
export function parseVersionOutput(stdout: string): string[] {
  const o = JSON.parse(stdout) as { cniVersion?: unknown; supportedVersions?: unknown };
  if (Array.isArray(o.supportedVersions)) return o.supportedVersions.filter((v): v is string => typeof v === 'string');
  // A plugin of spec 0.1.0 answers its version alone (libcni's PluginDecoder).
  if (typeof o.cniVersion === 'string') return [o.cniVersion];
  throw new Error('the answer has neither supportedVersions nor cniVersion');
}

async function signatureOf(paths: readonly string[]): Promise<string> {
  const parts = await Promise.all(paths.map(async (p) => {
    const st = await stat(p).catch(() => undefined);
    return st ? `${p}:${st.mtimeMs}:${st.size}` : `${p}:-`;
  }));
  return parts.join('|');
}

export class CniConfDir {
  private last: { signature: string; load: CniConfLoad } | undefined;
  /** VERSION answers by binary (path, mtime, size), so a replaced plugin is asked again. */
  private readonly versions = new Map<string, string[]>();

  constructor(
    readonly confDir: string,
    readonly binDirs: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs: number,
  ) {}

  async load(): Promise<CniConfLoad> {
    const names = await readdir(this.confDir).catch((err: NodeJS.ErrnoException) => {
      // libcni's ConfFiles: a missing directory is no config, not an error.
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const files = configFileOrder(names).map((n) => join(this.confDir, n));
    const chosen = this.last?.load.network?.pluginPaths ?? [];
    const signature = await signatureOf([...files, ...chosen]);
    if (this.last?.signature === signature && this.last.load.network) return this.last.load;
    const load = await this.pick(files);
    // Sign what this load used, so the next call sees a change in any of it.
    this.last = { signature: await signatureOf([...files, ...(load.network?.pluginPaths ?? [])]), load };
    return load;
  }

  private async pick(files: readonly string[]): Promise<CniConfLoad> {
    const skipped: CniConfLoad['skipped'] = [];
    for (const file of files) {
      try {
        const st = await stat(file);
        if (!st.isFile()) continue;
        const config = parseConfigFile(file, await readFile(file, 'utf8'), file);
        const pluginPaths = await this.checkPlugins(config);
        return { network: { config, pluginPaths }, skipped };
      } catch (err) {
        skipped.push({ file, reason: errorMessage(err) });
      }
    }
    return { skipped };
  }

  private async checkPlugins(config: CniNetworkConfig): Promise<string[]> {
    const paths: string[] = [];
    for (const plugin of config.plugins) {
      const path = await findPlugin(plugin.type, this.binDirs);
      if (!path) throw new Error(`plugin "${plugin.type}" is not in ${this.binDirs.join(', ')}`);
      const supported = await this.supportedVersions(path);
      if (!supported.includes(config.cniVersion)) {
        throw new Error(`plugin "${plugin.type}" (${path}) does not support cniVersion ${config.cniVersion} (it supports ${supported.join(', ')})`);
      }
      paths.push(path);
    }
    return paths;
  }

  private async supportedVersions(path: string): Promise<string[]> {
    const st = await stat(path);
    const key = `${path}:${st.mtimeMs}:${st.size}`;
    const known = this.versions.get(key);
    if (known) return known;
    const run = await execPlugin(path, JSON.stringify({ cniVersion: '1.0.0' }), { ...this.env, CNI_COMMAND: 'VERSION' }, this.timeoutMs);
    if (run.code !== 0) throw new Error(`plugin ${path} failed its VERSION command (${run.exit}): ${(run.stdout.trim() || run.stderr.trim()).slice(0, 300)}`);
    let versions: string[];
    try {
      versions = parseVersionOutput(run.stdout);
    } catch (err) {
      throw new Error(`plugin ${path} answered VERSION with something Berth cannot read (${errorMessage(err)}): ${JSON.stringify(run.stdout.slice(0, 200))}`);
    }
    this.versions.set(key, versions);
    return versions;
  }
}
