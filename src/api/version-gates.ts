import { InvalidParameterError } from '../core/errors.js';
import type { IdAliases } from '../engine/containers/container-views.js';

/**
 * Response fields that exist only at some API versions, as tables: the engine builds the newest
 * shape, and a route reshapes it for the version the client asked for, as dockerd's routers do
 * with their `versions.LessThan(version, "1.xx")` branches (api/server/router/*).
 */

/** One field of a response object, named by a dotted path (`Config.Hostname`). */
export interface FieldGate {
  path: string;
  /** The field is dropped from this version on (it was removed then). */
  until?: number;
  /** The field is dropped below this version (it was added then). */
  since?: number;
  /**
   * For a field older clients read that the newest shape no longer has: its value, computed from
   * the whole object, set below `until` (VirtualSize is Size).
   */
  legacy?: (whole: Record<string, unknown>) => unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object holding the field at `path`, copied on the way down so the caller's value is not changed. */
function parentOf(root: Record<string, unknown>, path: string[], create: boolean): Record<string, unknown> | undefined {
  let cur = root;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!isObject(next)) {
      if (!create) return undefined;
      cur[key] = {};
    } else {
      cur[key] = { ...next };
    }
    cur = cur[key] as Record<string, unknown>;
  }
  return cur;
}

/** The response as a client of `version` sees it; `value` itself is left as it is. */
export function gateFields<T extends object>(value: T, version: number, gates: readonly FieldGate[]): T {
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const g of gates) {
    const path = g.path.split('.');
    const key = path[path.length - 1] as string;
    const tooNew = g.until !== undefined && version >= g.until;
    const tooOld = g.since !== undefined && version < g.since;
    if (tooNew || tooOld) {
      const parent = parentOf(out, path, false);
      if (parent) delete parent[key];
    } else if (g.legacy) {
      const parent = parentOf(out, path, true) as Record<string, unknown>;
      parent[key] = g.legacy(value as Record<string, unknown>);
    }
  }
  return out as T;
}

/** `gateFields` over every element of a list response. */
export function gateEach<T extends object>(values: readonly T[], version: number, gates: readonly FieldGate[]): T[] {
  return values.map((v) => gateFields(v, version, gates));
}

const sizeOf = (o: Record<string, unknown>): unknown => o.Size;

/** Fields image configs show at older versions only (API 1.50 dropped them: never part of an image's config). */
const IMAGE_CONFIG_RUNTIME_FIELDS = ['Hostname', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Image'];

/** `GET /images/{name}/json`. */
export const IMAGE_INSPECT_GATES: readonly FieldGate[] = [
  { path: 'VirtualSize', until: 1.44, legacy: sizeOf },
  // dockerd drops Container and ContainerConfig at 1.45; Berth keeps them at every version. Compose
  // v1 negotiates the newest version and reads ContainerConfig when it recreates a container
  // (KeyError against dockerd 25+), and an extra field breaks no client.
  ...IMAGE_CONFIG_RUNTIME_FIELDS.map((f) => ({ path: `Config.${f}`, until: 1.5 })),
];

/** `GET /system/df`'s images. */
export const DISK_USAGE_IMAGE_GATES: readonly FieldGate[] = [{ path: 'VirtualSize', until: 1.44, legacy: sizeOf }];

/** `GET /images/json` entries. */
export const IMAGE_LIST_GATES: readonly FieldGate[] = [
  ...DISK_USAGE_IMAGE_GATES,
  // dockerd counts an image's containers in this list only from 1.51; older clients get -1 ("not computed").
  { path: 'Containers', until: 1.51, legacy: () => -1 },
];

/** `GET /system/df`. */
export const DISK_USAGE_GATES: readonly FieldGate[] = [{ path: 'BuilderSize', until: 1.42, legacy: builderSize }];

/** What clients before 1.42 show as the build cache's size: the records not shared with images. */
function builderSize(whole: Record<string, unknown>): number {
  const cache = (whole.BuildCache ?? []) as Array<{ Size?: number; Shared?: boolean }>;
  return cache.filter((c) => !c.Shared).reduce((s, c) => s + (c.Size ?? 0), 0);
}

/** `GET /info`. */
export const INFO_GATES: readonly FieldGate[] = [
  { path: 'Containerd', since: 1.46 },
  { path: 'RegistryConfig.AllowNondistributableArtifactsCIDRs', until: 1.49, legacy: () => null },
  { path: 'RegistryConfig.AllowNondistributableArtifactsHostnames', until: 1.49, legacy: () => null },
  { path: 'FirewallBackend', since: 1.49 },
  { path: 'ContainerdCommit.Expected', until: 1.49, legacy: (o) => (o.ContainerdCommit as { ID?: string } | undefined)?.ID ?? '' },
  { path: 'RuncCommit.Expected', until: 1.49, legacy: (o) => (o.RuncCommit as { ID?: string } | undefined)?.ID ?? '' },
  { path: 'InitCommit.Expected', until: 1.49, legacy: (o) => (o.InitCommit as { ID?: string } | undefined)?.ID ?? '' },
  { path: 'BridgeNfIptables', until: 1.5, legacy: () => false },
  { path: 'BridgeNfIp6tables', until: 1.5, legacy: () => false },
  { path: 'DiscoveredDevices', since: 1.5 },
];

/** `POST /volumes/prune` prunes named volumes too below 1.42, as if `all=true` was given. */
export function volumePruneFilters(filters: Record<string, string[]>, version: number): Record<string, string[]> {
  return version < 1.42 ? { ...filters, all: ['true'] } : filters;
}

/** Below 1.43, `GET /images/json` names an untagged image `<none>:<none>` and `<none>@<none>`. */
export function legacyUntaggedNames<T extends { RepoTags: string[]; RepoDigests: string[] }>(image: T, version: number): T {
  if (version >= 1.43 || image.RepoTags.length > 0 || image.RepoDigests.length > 0) return image;
  return { ...image, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] };
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (isObject(v) ? v : undefined);

/**
 * A `POST /containers/create` body as dockerd of `version` reads it (its router's version
 * branches): fields added later are ignored, checks added later are skipped, and requests that
 * version could not express are refused. Returns a copy; the engine then sees the newest shape.
 */
export function legacyCreateBody<T extends Json>(body: T, version: number): T {
  const out: Json = { ...body };
  const host: Json = { ...(asObject(out.HostConfig) ?? {}) };
  const mounts = (Array.isArray(host.Mounts) ? host.Mounts : []).map((m: unknown) => ({ ...(asObject(m) ?? {}) }));
  const net = asObject(out.NetworkingConfig);
  const endpoints = asObject(net?.EndpointsConfig) ?? {};
  if (version < 1.4 && !host.IpcMode) host.IpcMode = 'shareable';
  for (const m of mounts) {
    const type = m.Type;
    const bind = asObject(m.BindOptions);
    if (version < 1.42) {
      // Not checked before 1.42: options for another mount type were ignored.
      if (m.VolumeOptions && type !== 'volume') delete m.VolumeOptions;
      if (m.TmpfsOptions && type !== 'tmpfs') delete m.TmpfsOptions;
      if (bind) m.BindOptions = { ...bind, CreateMountpoint: false };
    } else {
      for (const [field, own] of [['VolumeOptions', 'volume'], ['BindOptions', 'bind'], ['TmpfsOptions', 'tmpfs']] as const) {
        if (m[field] && type !== own) throw new InvalidParameterError(`${field} must not be specified on mount type "${String(type)}"`);
      }
    }
    if (version < 1.44 && type === 'bind' && bind?.ReadOnlyForceRecursive) throw new InvalidParameterError('BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer');
    if (version < 1.45 && asObject(m.VolumeOptions)?.Subpath) throw new InvalidParameterError('VolumeOptions.Subpath needs API v1.45 or newer');
    if (version < 1.48 && type === 'image') throw new InvalidParameterError('Mount type "Image" needs API v1.48 or newer');
  }
  if (mounts.length > 0) host.Mounts = mounts;
  if (version < 1.42) delete host.ConsoleSize;
  if (version < 1.43) delete host.Annotations;
  if (version < 1.44) {
    const health = asObject(out.Healthcheck);
    if (health && health.StartInterval !== undefined) out.Healthcheck = { ...health, StartInterval: 0 };
    const names = Object.keys(endpoints);
    if (names.length > 1) throw new InvalidParameterError(`Container cannot be created with multiple network endpoints: ${names.join(', ')}`);
  }
  if (version < 1.48 && net) {
    // Every endpoint had the same priority before 1.48.
    const reset = Object.fromEntries(Object.entries(endpoints).map(([k, v]) => [k, isObject(v) ? { ...v, GwPriority: 0 } : v]));
    out.NetworkingConfig = { ...net, EndpointsConfig: reset };
  }
  if (out.HostConfig !== undefined || Object.keys(host).length > 0) out.HostConfig = host;
  return out as T;
}


/**
 * Whether inspect lists the short ID and hostname among a user network's aliases: below 1.45, as
 * dockerd did until DNSNames took over (docker-py 7.1 at 1.44 expects them from create on);
 * below 1.44 as dockerd 20.10, only once the container has joined the network.
 */
export function idAliasesAt(version: number): IdAliases {
  return version >= 1.45 ? 'never' : version >= 1.44 ? 'always' : 'joined';
}
