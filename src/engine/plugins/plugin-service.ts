import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { parseReference } from '../../oci/reference.js';

/** docker's `GET /plugins/{name}/json`. */
export interface PluginView {
  Config: Record<string, unknown>;
  Enabled: boolean;
  Id: string;
  Name: string;
  PluginReference: string;
  Settings: { Args: string[]; Devices: unknown[]; Env: string[]; Mounts: unknown[] };
}

type Json = Record<string, unknown>;
const CONFIG_MAX = 1 << 20;

/** A key of a plugin's config.json, found as Go's json.Unmarshal finds it: case-insensitively. */
function field(obj: unknown, name: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (obj as Json)[key];
}
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : null);
const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);

/** config.json in dockerd's PluginConfig shape: every field present, Go's names. */
function pluginConfig(raw: unknown, diffId: string): Json {
  const args = field(raw, 'args');
  const iface = field(raw, 'interface');
  const linux = field(raw, 'linux');
  const user = field(raw, 'user');
  return {
    Args: { Description: str(field(args, 'description')), Name: str(field(args, 'name')), Settable: strings(field(args, 'settable')), Value: strings(field(args, 'value')) },
    Description: str(field(raw, 'description')),
    Documentation: str(field(raw, 'documentation')),
    Entrypoint: strings(field(raw, 'entrypoint')),
    Env: (list(field(raw, 'env')) ?? []).map((e) => ({ Description: str(field(e, 'description')), Name: str(field(e, 'name')), Settable: strings(field(e, 'settable')), Value: str(field(e, 'value')) })),
    Interface: { Socket: str(field(iface, 'socket')), Types: strings(field(iface, 'types')) ?? [] },
    IpcHost: field(raw, 'ipchost') === true,
    Linux: { AllowAllDevices: field(linux, 'allowalldevices') === true, Capabilities: strings(field(linux, 'capabilities')), Devices: list(field(linux, 'devices')) },
    Mounts: list(field(raw, 'mounts')),
    Network: { Type: str(field(field(raw, 'network'), 'type')) },
    PidHost: field(raw, 'pidhost') === true,
    PropagatedMount: str(field(raw, 'propagatedmount')),
    User: typeof user === 'object' && user !== null ? { ...(field(user, 'uid') !== undefined ? { UID: field(user, 'uid') } : {}), ...(field(user, 'gid') !== undefined ? { GID: field(user, 'gid') } : {}) } : {},
    WorkDir: str(field(raw, 'workdir')),
    rootfs: { diff_ids: [diffId], type: 'layers' },
  };
}

/** `vieux/sshfs` is `vieux/sshfs:latest`, as dockerd names plugins (checked like an image reference). */
export function pluginName(input: string): string {
  const ref = parseReference(input);
  return ref.tag === undefined && ref.digest === undefined ? `${input}:latest` : input;
}

/**
 * Plugins made with `docker plugin create` (a config.json and a rootfs): kept, listed, inspected
 * and removed as dockerd does, but never enabled: Berth does not run plugins, so its volume and
 * network drivers stay the built-in ones. Installing from a registry is not supported.
 */
export class PluginService {
  private readonly plugins = new Map<string, PluginView>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const f of await readdir(this.dir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      const p = JSON.parse(await readFile(join(this.dir, f), 'utf8')) as PluginView;
      this.plugins.set(p.Name, p);
    }
  }

  list(filters: Record<string, string[]>): PluginView[] {
    return [...this.plugins.values()].filter((p) => {
      if (filters.enabled?.length && !filters.enabled.some((v) => (v === 'true') === p.Enabled)) return false;
      const types = ((p.Config.Interface as { Types?: string[] }).Types ?? []).map((t) => t.split('/')[0]?.split('.').pop() ?? '');
      if (filters.capability?.length && !filters.capability.some((c) => types.includes(c))) return false;
      return true;
    });
  }

  inspect(name: string): PluginView {
    const p = this.plugins.get(name) ?? this.plugins.get(pluginName(name)) ?? [...this.plugins.values()].find((x) => name.length >= 12 && x.Id.startsWith(name));
    if (!p) throw new NotFoundError(`plugin "${name}" not found`);
    return p;
  }

  /** `POST /plugins/create`: the body is a tar of `config.json` and `rootfs/`. */
  async create(name: string, archive: Readable): Promise<void> {
    const full = pluginName(name);
    if (this.plugins.has(full)) throw new ConflictError(`plugin ${full} already exists`);
    const { config, rootfs } = await readPluginArchive(archive);
    if (config === undefined) throw new InvalidParameterError('plugin creation needs a config.json at the top of the archive');
    if (rootfs === undefined) throw new InvalidParameterError('no rootfs found: the archive has no rootfs directory');
    let raw: unknown;
    try {
      raw = JSON.parse(config.toString('utf8'));
    } catch {
      throw new InvalidParameterError('invalid config.json: not JSON');
    }
    const view: PluginView = {
      Config: pluginConfig(raw, `sha256:${rootfs}`),
      Enabled: false,
      Id: createHash('sha256').update(randomBytes(32)).digest('hex'),
      Name: full,
      PluginReference: full,
      Settings: { Args: [], Devices: [], Env: (field(raw, 'env') as unknown[] | undefined ?? []).map((e) => `${str(field(e, 'name'))}=${str(field(e, 'value'))}`), Mounts: [] },
    };
    await atomicWriteJson(join(this.dir, `${view.Id}.json`), view, 0o600);
    this.plugins.set(full, view);
  }

  async remove(name: string): Promise<void> {
    const p = this.inspect(name);
    await rm(join(this.dir, `${p.Id}.json`), { force: true });
    this.plugins.delete(p.Name);
  }

  disable(name: string): void {
    const p = this.inspect(name);
    throw new ConflictError(`plugin is already disabled: plugin ${p.Name} found but disabled`);
  }

  enable(name: string): void {
    this.inspect(name);
    throw new NotImplementedError('enabling a plugin is not supported by this Berth version: it does not run plugins');
  }
}

/** config.json's bytes and a digest of the rootfs entries, read from the upload. */
async function readPluginArchive(archive: Readable): Promise<{ config?: Buffer; rootfs?: string }> {
  const ex = extract();
  const hash = createHash('sha256');
  let config: Buffer | undefined;
  let sawRootfs = false;
  const done = (async () => {
    for await (const entry of ex) {
      const path = entry.header.name.replace(/^(\.\/)+/, '');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of entry as AsyncIterable<Buffer>) {
        if (path === 'config.json') {
          size += c.length;
          if (size > CONFIG_MAX) throw new InvalidParameterError('config.json is too large');
          chunks.push(c);
        } else if (path === 'rootfs' || path.startsWith('rootfs/')) hash.update(c);
      }
      if (path === 'config.json') config = Buffer.concat(chunks);
      if (path === 'rootfs' || path.startsWith('rootfs/')) {
        sawRootfs = true;
        hash.update(`${path}\0${entry.header.type ?? ''}\0${entry.header.mode ?? 0}\0`);
      }
    }
  })();
  archive.on('error', (err) => ex.destroy(err));
  archive.pipe(ex);
  await done;
  return { ...(config ? { config } : {}), ...(sawRootfs ? { rootfs: hash.digest('hex') } : {}) };
}
