/**
 * Each ADD's result with the config and arguments it ran with, in libcni's cache format
 * (`results/<network>-<sandbox id>-<ifname>`, kind `cniCacheV1`, the config base64 as Go writes
 * []byte), under Berth's data root instead of /var/lib/cni. DEL reads it back, so after a daemon
 * restart, or after the config directory changed, the plugins get the prevResult, port mappings
 * and config of their ADD. Written atomically.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile, fsyncDir } from '../../../core/atomic-write.js';
import { errnoCode } from '../../../core/errors.js';

export interface CachedAttachment {
  containerId: string;
  ifName: string;
  networkName: string;
  netns: string;
  /** The network's config list as JSON text. */
  config: string;
  cniArgs: Array<[string, string]>;
  capabilityArgs: Record<string, unknown>;
  result: Record<string, unknown> | undefined;
}

/** libcni's cachedInfo, as it is on disk. */
interface CachedInfo {
  kind: 'cniCacheV1';
  containerId: string;
  config: string;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: Array<[string, string]>;
  capabilityArgs?: Record<string, unknown>;
  result?: Record<string, unknown>;
}

export function encodeCachedAttachment(a: CachedAttachment): string {
  const info: CachedInfo = {
    kind: 'cniCacheV1',
    containerId: a.containerId,
    config: Buffer.from(a.config, 'utf8').toString('base64'),
    ifName: a.ifName,
    networkName: a.networkName,
    ...(a.netns ? { netns: a.netns } : {}),
    ...(a.cniArgs.length ? { cniArgs: a.cniArgs } : {}),
    ...(Object.keys(a.capabilityArgs).length ? { capabilityArgs: a.capabilityArgs } : {}),
    ...(a.result ? { result: a.result } : {}),
  };
  return JSON.stringify(info);
}

/** A cache file's text, or undefined when it is not libcni's v1 cache (libcni ignores those too). */
export function decodeCachedAttachment(text: string): CachedAttachment | undefined {
  let info: Partial<CachedInfo>;
  try {
    info = JSON.parse(text) as Partial<CachedInfo>;
  } catch {
    return undefined;
  }
  if (info.kind !== 'cniCacheV1' || !info.containerId || !info.ifName || !info.networkName || typeof info.config !== 'string') return undefined;
  return {
    containerId: info.containerId,
    ifName: info.ifName,
    networkName: info.networkName,
    netns: info.netns ?? '',
    config: Buffer.from(info.config, 'base64').toString('utf8'),
    cniArgs: info.cniArgs ?? [],
    capabilityArgs: info.capabilityArgs ?? {},
    result: info.result,
  };
}

export class CniResultCache {
  readonly dir: string;

  /** `root` is Berth's CNI directory under the data root; results go in `root/results`. */
  constructor(root: string) {
    this.dir = join(root, 'results');
  }

  private path(networkName: string, containerId: string, ifName: string): string {
    return join(this.dir, `${networkName}-${containerId}-${ifName}`);
  }

  async write(a: CachedAttachment): Promise<void> {
    // Root's alone, as libcni's: the files name every pod and its addresses.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await atomicWriteFile(this.path(a.networkName, a.containerId, a.ifName), encodeCachedAttachment(a), 0o600);
  }

  async read(networkName: string, containerId: string, ifName: string): Promise<CachedAttachment | undefined> {
    const text = await readFile(this.path(networkName, containerId, ifName), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : decodeCachedAttachment(text);
  }

  /** Every cached attachment of one sandbox (libcni's GetCachedAttachments). */
  async attachmentsOf(containerId: string): Promise<CachedAttachment[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: CachedAttachment[] = [];
    for (const name of names.filter((n) => n.includes(`-${containerId}-`)).sort()) {
      const a = decodeCachedAttachment(await readFile(join(this.dir, name), 'utf8').catch(() => ''));
      if (a?.containerId === containerId) out.push(a);
    }
    return out;
  }

  async remove(networkName: string, containerId: string, ifName: string): Promise<void> {
    try {
      await unlink(this.path(networkName, containerId, ifName));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    await fsyncDir(this.dir);
  }
}
