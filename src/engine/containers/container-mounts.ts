import { InvalidParameterError } from '../../core/errors.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { parseApiMount, parseBind, parseTmpfs, type MountPoint } from './mount-plan.js';
import type { ContainerRecord } from './container-types.js';

/**
 * A container's mounts from its create request, in docker's order of precedence: binds and
 * `--mount` first, then `--volumes-from`, then the image's (and `-v /path`) VOLUMEs for every
 * destination nobody else took, and `--tmpfs`. Pure: volumes are made by `ensureVolumes`.
 */
export function planMounts(host: Record<string, unknown>, configVolumes: Record<string, object> | null, volumesFrom: (ref: string) => ContainerRecord): MountPoint[] {
  const out: MountPoint[] = [];
  const taken = new Set<string>();
  const add = (m: MountPoint): void => {
    if (taken.has(m.Destination)) throw new InvalidParameterError(`Duplicate mount point: ${m.Destination}`);
    taken.add(m.Destination);
    out.push(m);
  };
  for (const b of list(host.Binds, 'HostConfig.Binds')) add(parseBind(b));
  const mounts = host.Mounts ?? [];
  if (!Array.isArray(mounts)) throw new InvalidParameterError('HostConfig.Mounts must be a list');
  for (const m of mounts as object[]) add(parseApiMount(m));
  const tmpfs = (host.Tmpfs ?? {}) as Record<string, string>;
  for (const [dst, opts] of Object.entries(tmpfs)) add(parseTmpfs(dst, String(opts ?? '')));
  for (const spec of list(host.VolumesFrom, 'HostConfig.VolumesFrom')) {
    const [ref = '', mode = ''] = spec.split(':');
    if (mode !== '' && mode !== 'ro' && mode !== 'rw') throw new InvalidParameterError(`invalid mode: ${mode}`);
    for (const m of volumesFrom(ref).Mounts ?? []) {
      if (taken.has(m.Destination)) continue;
      add({ ...m, RW: mode === '' ? m.RW : mode === 'rw', CopyUp: false, CreateSource: false });
    }
  }
  for (const dst of Object.keys(configVolumes ?? {})) {
    const clean = dst.length > 1 ? dst.replace(/\/+$/, '') : dst;
    if (taken.has(clean)) continue;
    add(parseBind(clean));
  }
  return out;
}

function list(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidParameterError(`${field} must be a list of strings`);
  return v as string[];
}

/**
 * Makes the volumes a plan names (anonymous ones get a fresh name) and fills in their sources.
 * Returns the names it created, for the caller to remove if the create fails later.
 */
export async function ensureVolumes(plan: MountPoint[], volumes: VolumeService): Promise<string[]> {
  const created: string[] = [];
  try {
    for (const m of plan) {
      if (m.Type !== 'volume') continue;
      if (!m.Name || !volumes.has(m.Name)) {
        const v = await volumes.create({ ...(m.Name ? { Name: m.Name } : {}), ...(m.NewVolume ?? {}) }, !m.Name);
        created.push(v.Name);
        m.Name = v.Name;
      }
      m.Source = volumes.hostPath(m.Name);
      delete m.NewVolume;
    }
  } catch (err) {
    await removeVolumes(created, volumes);
    throw err;
  }
  return created;
}

export async function removeVolumes(names: readonly string[], volumes: VolumeService): Promise<void> {
  for (const n of names) await volumes.remove(n, true).catch(() => undefined);
}

/** Which containers reference each volume, for `volume rm` (409) and `dangling`. */
export function volumeUsage(records: readonly ContainerRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    for (const m of r.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const users = out.get(m.Name) ?? [];
      if (!users.includes(r.Id)) users.push(r.Id);
      out.set(m.Name, users);
    }
  }
  return out;
}

/** docker's `Mounts` in inspect and ps: the record's mounts without Berth's own fields. */
export function mountsView(r: ContainerRecord): Array<Record<string, unknown>> {
  return (r.Mounts ?? []).filter((m) => m.Type !== 'tmpfs' || !(m.Destination in ((r.HostConfig.Tmpfs ?? {}) as object))).map((m) => ({
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Type === 'volume' ? { Driver: m.Driver ?? 'local' } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}
