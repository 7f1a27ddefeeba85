import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import type { ExportSpec, NamedContext, SolveSpec } from '../../engine/build/solve-spec.js';

/** An exporter (or cache exporter/importer) as Control.Solve carries it. */
export interface ExporterEntry {
  type: string;
  attrs: Record<string, string>;
}

/** The machine's platform, as `platforms.DefaultSpec()` would give it (`linux`, `amd64`). */
export interface HostPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/*
 * Frontend attributes read below follow BuildKit's dockerui (frontend/dockerui/config.go).
 * Accepted and ignored, because they change nothing on a single-platform builder without a
 * registry or they only feed BuildKit features Berth does not have: image-resolve-mode,
 * multi-platform, hostname, cgroup-parent, ulimit, source-date-epoch, contextsubdir,
 * contextkey, dockerfilekey, local-sessionid:*, input-metadata:*, input:*, attest:*,
 * build-arg:BUILDKIT_INLINE_CACHE, build-arg:BUILDKIT_CACHE_MOUNT_NS,
 * build-arg:BUILDKIT_MULTI_PLATFORM, build-arg:BUILDKIT_SANDBOX_HOSTNAME,
 * build-arg:BUILDKIT_DOCKERFILE_CHECK, build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR, and any
 * attribute not named here.
 */

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' };

function normalizePlatform(p: string): string {
  const [os = '', arch = '', variant] = p.trim().toLowerCase().split('/');
  const a = ARCH_ALIASES[arch] ?? arch;
  return [os, a, ...(variant && !(a === 'arm64' && variant === 'v8') ? [variant] : [])].join('/');
}

/** `platform=linux/amd64[,…]`: only this machine's platform can be built. */
function checkPlatforms(value: string, host: HostPlatform): void {
  const own = normalizePlatform([host.os, host.architecture, ...(host.variant ? [host.variant] : [])].join('/'));
  for (const p of value.split(',').filter((x) => x.trim() !== '')) {
    const n = normalizePlatform(p);
    if (n !== own && n !== host.os) throw new NotImplementedError(`building for platform "${p.trim()}" is not supported: Berth builds for this machine (${own}) only`);
  }
}

/** `add-hosts=host=ip,…` (dockerui's parseExtraHosts) as HostConfig.ExtraHosts (`host:ip`). */
function extraHosts(value: string): string[] {
  return value
    .split(',')
    .filter((f) => f !== '')
    .map((field) => {
      const eq = field.indexOf('=');
      if (eq < 0) throw new InvalidParameterError(`invalid key-value pair ${field}`);
      const ip = field.slice(eq + 1);
      if (!/^[0-9.]+$|:/.test(ip)) throw new InvalidParameterError(`failed to parse IP ${ip}`);
      return `${field.slice(0, eq).toLowerCase()}:${ip}`;
    });
}

function integer(name: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidParameterError(`invalid ${name} value "${value}": expected an integer`);
  return Number(value);
}

/** `context:NAME=…`: docker-image:// and local: are supported; the rest said plainly. */
function namedContext(name: string, value: string): NamedContext {
  if (value.startsWith('docker-image://')) {
    const ref = value.slice('docker-image://'.length);
    if (ref === '') throw new InvalidParameterError(`invalid named context ${name}: empty image reference`);
    return { kind: 'image', ref };
  }
  if (value.startsWith('local:')) return { kind: 'local', session: value.slice('local:'.length) };
  const kind = value.startsWith('oci-layout://') ? 'an OCI layout' : value.startsWith('input:') ? 'another build\'s result' : /^(https?:\/\/|git@|git:\/\/)/.test(value) ? 'a remote (git or URL) context' : null;
  if (kind) throw new NotImplementedError(`named context ${name}=${value}: ${kind} as a named context is not supported by this Berth version yet (docker-image:// and local directories are)`);
  throw new InvalidParameterError(`invalid named context ${name}=${value}: expected docker-image://REF or a local directory`);
}

const RESOURCE_KEYS: ReadonlyArray<[string, string, 'int' | 'string']> = [
  ['memory', 'Memory', 'int'],
  ['memswap', 'MemorySwap', 'int'],
  ['cpushares', 'CpuShares', 'int'],
  ['cpuperiod', 'CpuPeriod', 'int'],
  ['cpuquota', 'CpuQuota', 'int'],
  ['cpusetcpus', 'CpusetCpus', 'string'],
  ['cpusetmems', 'CpusetMems', 'string'],
];

/**
 * The Dockerfile frontend's attributes (Control.Solve's FrontendAttrs) and the exporters as the
 * SolveSpec Berth's builder runs. Pure: no I/O; errors name the attribute and what to do.
 */
export function solveSpecFromAttrs(attrs: Readonly<Record<string, string>>, exporters: readonly ExporterEntry[], host: HostPlatform): SolveSpec {
  const buildArgs = new Map<string, string | null>();
  const labels: Record<string, string> = {};
  const namedContexts: Record<string, NamedContext> = {};
  const runHostConfig: Record<string, unknown> = {};
  const cacheFrom: string[] = [];
  const notes: string[] = [];
  let noCache: boolean | string[] = false;
  let syntax: string | undefined;
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('build-arg:')) {
      const name = key.slice('build-arg:'.length);
      // Checked with the Dockerfile's own `# syntax=`, which it overrides (engine/build/solve.ts).
      if (name === 'BUILDKIT_SYNTAX' && value !== '') syntax = value;
      if (!name.startsWith('BUILDKIT_')) buildArgs.set(name, value);
    } else if (key.startsWith('label:')) labels[key.slice('label:'.length)] = value;
    else if (key.startsWith('context:')) {
      const name = key.slice('context:'.length).toLowerCase();
      // BuildKit also reads `context:NAME::PLATFORM`; the platform must be this machine's.
      const [base = name, platform] = name.split('::');
      if (platform !== undefined) checkPlatforms(platform, host);
      namedContexts[base] = namedContext(base, value);
    }
  }
  const filename = attrs.filename || 'Dockerfile';
  if (attrs['no-cache'] !== undefined) {
    const stages = attrs['no-cache'].split(',').filter((s) => s !== '');
    noCache = stages.length === 0 ? true : stages;
  }
  if (attrs.platform) checkPlatforms(attrs.platform, host);
  const network = attrs['force-network-mode'] ?? attrs.network;
  if (network !== undefined && network !== '' && network !== 'sandbox' && network !== 'default') {
    if (network !== 'none' && network !== 'host') throw new InvalidParameterError(`invalid netmode ${network}`);
    runHostConfig.NetworkMode = network;
  }
  if (attrs['add-hosts']) {
    const hosts = extraHosts(attrs['add-hosts']);
    if (hosts.length > 0) runHostConfig.ExtraHosts = hosts;
  }
  if (attrs['shm-size']) {
    const size = integer('shm-size', attrs['shm-size']);
    if (size > 0) runHostConfig.ShmSize = size;
  }
  for (const [attr, field, kind] of RESOURCE_KEYS) {
    const v = attrs[attr];
    if (v === undefined || v === '') continue;
    if (kind === 'string') runHostConfig[field] = v;
    else if (integer(attr, v) !== 0) runHostConfig[field] = Number(v);
  }
  if (attrs['cache-from']) cacheFrom.push(...attrs['cache-from'].split(',').filter((r) => r !== ''));
  if (attrs['cache-imports']) {
    const imports = parseCacheImports(attrs['cache-imports']);
    cacheFrom.push(...imports.flatMap((e) => (e.attrs.ref ? [e.attrs.ref] : [])));
    notes.push(...cacheNotes(imports, []));
  }
  return {
    dockerfile: filename,
    ...(attrs.target ? { target: attrs.target } : {}),
    buildArgs,
    labels,
    noCache,
    runHostConfig,
    namedContexts,
    cacheFrom,
    exports: exportSpecs(exporters),
    notes,
    ...(syntax !== undefined ? { syntax } : {}),
  };
}

function parseCacheImports(text: string): ExporterEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidParameterError(`invalid cache-imports ${text}: expected JSON`);
  }
  if (!Array.isArray(parsed)) throw new InvalidParameterError('invalid cache-imports: expected a JSON list');
  return parsed.map((e: { Type?: unknown; type?: unknown; Attrs?: unknown; attrs?: unknown }) => ({
    type: String(e.Type ?? e.type ?? ''),
    attrs: (e.Attrs ?? e.attrs ?? {}) as Record<string, string>,
  }));
}

/**
 * `--cache-from` / `--cache-to` (Solve's Cache.Imports/Exports, or the cache-imports attribute):
 * Berth's local build cache serves every build, so these are accepted and their effect said.
 * Importing from a registry or a local cache directory and exporting one are not done.
 */
export function cacheNotes(imports: readonly ExporterEntry[], exports: readonly ExporterEntry[]): string[] {
  const notes: string[] = [];
  for (const e of imports) {
    if (e.type === 'registry' || e.type === 'inline' || e.type === '') notes.push(`cache-from ${e.type || 'registry'}${e.attrs.ref ? ` ${e.attrs.ref}` : ''}: only images already in Berth's store serve as cache (no registry pulls)`);
    else if (e.type === 'local') notes.push(`cache-from type=local${e.attrs.src ? ` src=${e.attrs.src}` : ''}: ignored, Berth's own build cache is used`);
    else notes.push(`cache-from type=${e.type}: ignored, not supported by Berth`);
  }
  for (const e of exports) {
    if (e.type === 'inline') notes.push('cache-to type=inline: ignored, the image is its own cache in Berth');
    else if (e.type === 'local') notes.push(`cache-to type=local${e.attrs.dest ? ` dest=${e.attrs.dest}` : ''}: ignored, Berth's own build cache is kept in the daemon`);
    else notes.push(`cache-to type=${e.type}: ignored, not supported by Berth`);
  }
  return notes;
}

const truthy = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== 'false' && v !== '0';

/** The Solve's exporters, in request order (index = position), checked. */
export function exportSpecs(exporters: readonly ExporterEntry[]): ExportSpec[] {
  return exporters.map((e, index): ExportSpec => {
    const names = (e.attrs.name ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
    switch (e.type) {
      case 'image':
      case 'moby':
        if (truthy(e.attrs.push)) throw new NotImplementedError(`exporter ${e.type} with push=true: pushing to a registry is not supported by this Berth version yet; build with --load and push with docker push`);
        return { type: 'image', index, names };
      case 'docker':
      case 'oci':
        return { type: e.type, index, names };
      case 'local':
      case 'tar':
        return { type: e.type, index };
      case 'registry':
        throw new NotImplementedError('exporter registry (--push): pushing to a registry is not supported by this Berth version yet; build with --load and push with docker push');
      default:
        throw new InvalidParameterError(`exporter "${e.type}" is not supported: use image, moby, docker, oci, local or tar`);
    }
  });
}
