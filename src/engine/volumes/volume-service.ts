import { stat } from 'node:fs/promises';
import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { ensureTmpfsMounted, unmountTmpfs } from '../../drivers/mounts/tmpfs-mount.js';
import type { Logger } from '../../core/logger.js';
import type { VolumeRecord, VolumeStore } from '../../store/metadata/volume-store.js';
import { checkFilterKeys, type Filters } from '../../core/filters.js';
import type { PublishEvent } from '../events/event-types.js';
import { isoTime } from '../../core/utc-time.js';
import { directorySize } from '../../drivers/host/directory-size.js';

const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const VOLUME_FILTERS = new Set(['dangling', 'name', 'label', 'driver', 'all']);

export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new InvalidParameterError(
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** Which containers reference each volume; given by the container service. */
export type VolumeUsage = () => Map<string, string[]>;

/** docker's view of a volume (`GET /volumes/{name}`). */
export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string>;
  Scope: 'local';
}

/** Named and anonymous volumes of the `local` driver: `volume create/ls/inspect/rm/prune`. */
export class VolumeService {
  private readonly records = new Map<string, VolumeRecord>();
  private readonly usage: VolumeUsage;
  /** Where volume events (create, destroy; mount and unmount come from containers) go. */
  private readonly publish: PublishEvent;

  constructor(private readonly store: VolumeStore, private readonly log: Logger, wiring: { usage?: VolumeUsage; publish?: PublishEvent } = {}) {
    this.usage = wiring.usage ?? (() => new Map());
    this.publish = wiring.publish ?? (() => undefined);
  }

  async init(): Promise<void> {
    await this.store.init();
    const { records, orphans } = await this.store.load();
    for (const r of records) this.records.set(r.Name, r);
    for (const name of orphans) {
      this.log.warn({ volume: name }, 'removing a volume whose create did not finish');
      await this.store.delete(name).catch(() => undefined);
    }
  }

  /** The host directory containers see: `_data`, or the device of a `o=bind` volume. */
  hostPath(name: string): string {
    const r = this.getRecord(name);
    if (r.Options.o === 'bind' && r.Options.device) return r.Options.device;
    return this.store.dataDir(r.Name);
  }

  private getRecord(name: string): VolumeRecord {
    const r = this.records.get(name);
    if (!r) throw new NotFoundError(`get ${name}: no such volume`);
    return r;
  }

  /** Before a container using them starts: tmpfs volumes are mounted at their first use. */
  async prepare(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const r = this.getRecord(name);
      if (r.Options.type === 'tmpfs') await ensureTmpfsMounted(this.store.dataDir(name), r.Options.o ?? '');
    }
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  isAnonymous(name: string): boolean {
    return this.records.get(name)?.Anonymous === true;
  }

  view(r: VolumeRecord): VolumeView {
    return { CreatedAt: r.CreatedAt, Driver: r.Driver, Labels: r.Labels, Mountpoint: this.store.dataDir(r.Name), Name: r.Name, Options: r.Options, Scope: 'local' };
  }

  inspect(name: string): VolumeView {
    return this.view(this.getRecord(name));
  }

  /** Creates a volume, or returns the existing one of that name (as docker does). */
  async create(opts: VolumeCreateOptions, anonymous = false): Promise<VolumeView> {
    const driver = opts.Driver || 'local';
    // dockerd looks the name up among its volume plugins; Berth has none, so any other name is not found.
    if (driver !== 'local') throw new NotFoundError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const name = opts.Name || newId();
    validateVolumeName(name);
    const existing = this.records.get(name);
    if (existing) return this.view(existing);
    const options = await checkDriverOpts(opts.DriverOpts ?? {});
    const record: VolumeRecord = {
      Name: name,
      Driver: driver,
      // docker 23+ marks anonymous volumes with this label, and so a volume created without a
      // name; prune goes by the label. Only a container's own (`anonymous`) go with `rm -v`.
      Labels: anonymous || !opts.Name ? { [ANONYMOUS_LABEL]: '', ...(opts.Labels ?? {}) } : (opts.Labels ?? {}),
      Options: options,
      CreatedAt: isoTime().replace(/\.\d+Z$/, 'Z'),
      Anonymous: anonymous,
    };
    try {
      await this.store.put(record);
    } catch (err) {
      await this.store.delete(name).catch(() => undefined);
      throw err;
    }
    this.records.set(name, record);
    this.publish({ type: 'volume', action: 'create', id: name, attributes: { driver } });
    return this.view(record);
  }

  list(filters: Filters): { Volumes: VolumeView[]; Warnings: string[] } {
    checkFilterKeys(filters, VOLUME_FILTERS);
    const used = this.usage();
    const out = [...this.records.values()].filter((r) => matches(r, filters, used.has(r.Name)));
    return { Volumes: out.map((r) => this.view(r)), Warnings: [] };
  }

  /** `leaving`: a container being removed, whose use of the volume no longer counts (`rm -v`). */
  async remove(name: string, force: boolean, leaving?: string): Promise<void> {
    const r = this.records.get(name);
    if (!r) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.usage().get(name)?.filter((u) => u !== leaving);
    if (users && users.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    if (r.Options.type === 'tmpfs') await unmountTmpfs(this.store.dataDir(name));
    this.records.delete(name);
    await this.store.delete(name);
    this.publish({ type: 'volume', action: 'destroy', id: name, attributes: { driver: r.Driver } });
  }

  /**
   * Unused anonymous volumes; with `all=true`, unused named ones too (the route adds it for API
   * < 1.42). As dockerd's: only local volumes without mount options (a tmpfs or bind volume is
   * not really local data), `label` and `label!` filters, and the space their data took.
   */
  async prune(filters: Filters): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    checkFilterKeys(filters, new Set(['all', 'label', 'label!']));
    const all = pruneAll(filters.all ?? []);
    const used = this.usage();
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of [...this.records.values()]) {
      if (used.has(r.Name) || (!all && !(ANONYMOUS_LABEL in r.Labels)) || Object.keys(r.Options).length > 0) continue;
      if (filters.label && !matches(r, { label: filters.label }, false)) continue;
      if ((filters['label!'] ?? []).some((l) => matches(r, { label: [l] }, false))) continue;
      const size = await directorySize(this.store.dataDir(r.Name));
      await this.remove(r.Name, false).then(() => {
        deleted.push(r.Name);
        reclaimed += size;
      }, (err: unknown) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }
}

/** dockerd's `all` prune filter: one value, as Go's strconv.ParseBool reads it. */
function pruneAll(values: string[]): boolean {
  if (values.length > 1) throw new InvalidParameterError(`invalid filter 'all=${values.join(',')}': only one value is expected`);
  if (values.length === 0) return false;
  const v = values[0] as string;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new InvalidParameterError(`invalid filter 'all': strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function matches(r: VolumeRecord, f: Filters, inUse: boolean): boolean {
  if (f.dangling?.length) {
    const want = f.dangling.some((v) => v === 'true' || v === '1');
    if (want === inUse) return false;
  }
  if (f.name?.length && !f.name.some((n) => r.Name.includes(n))) return false;
  if (f.driver?.length && !f.driver.includes(r.Driver)) return false;
  for (const l of f.label ?? []) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!(key in r.Labels)) return false;
    if (eq >= 0 && r.Labels[key] !== l.slice(eq + 1)) return false;
  }
  return true;
}

const TMPFS_OPTION = /^(size=\d+[kmg%]?|nr_blocks=\d+[kmg]?|nr_inodes=\d+[kmg]?|mode=[0-7]{1,4}|uid=\d+|gid=\d+|noexec|exec|nosuid|suid|nodev|dev|ro|rw|noatime|relatime)$/i;

/** docker's local driver options: `type=tmpfs,device=tmpfs[,o=size=…]` and `type=none,o=bind,device=/dir`. */
async function checkDriverOpts(opts: Record<string, string>): Promise<Record<string, string>> {
  if (Object.keys(opts).length === 0) return {};
  for (const key of Object.keys(opts)) {
    if (!['type', 'o', 'device'].includes(key)) throw new InvalidParameterError(`invalid option key: "${key}"`);
  }
  const type = opts.type ?? '';
  if (type === 'tmpfs') {
    if (opts.device !== undefined && opts.device !== 'tmpfs') throw new InvalidParameterError(`invalid volume option device=${opts.device}: a tmpfs volume's device is "tmpfs"`);
    for (const o of (opts.o ?? '').split(',').filter(Boolean)) {
      if (!TMPFS_OPTION.test(o)) throw new InvalidParameterError(`invalid tmpfs volume option o=${opts.o}: unknown option "${o}"`);
    }
    return { ...opts, device: 'tmpfs' };
  }
  if (type !== 'none' && type !== '') {
    throw new NotImplementedError(`volume option type=${type} is not supported by this Berth version yet: only type=tmpfs and type=none,o=bind,device=/path`);
  }
  if (opts.o !== 'bind' || !opts.device) throw new NotImplementedError(`volume options other than type=none,o=bind,device=/path are not supported by this Berth version yet`);
  if (!opts.device.startsWith('/')) throw new InvalidParameterError(`invalid volume option device=${opts.device}: must be an absolute path`);
  const st = await stat(opts.device).catch(() => undefined);
  if (!st) throw new InvalidParameterError(`failed to mount local volume: mount ${opts.device}: no such file or directory`);
  if (!st.isDirectory()) throw new InvalidParameterError(`failed to mount local volume: ${opts.device} is not a directory`);
  return { ...opts };
}
