import { ConflictError, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { KeyedLock } from '../../core/keyed-lock.js';
import type { ContainerStore } from '../../store/metadata/container-store.js';
import type { ContainerRecord } from './container-types.js';

/**
 * The daemon's view of its containers: records in memory, persisted through the store before a
 * change is acknowledged, looked up by ID, name or unique ID prefix as docker does.
 */
export class ContainerRegistry {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();
  private readonly locks = new KeyedLock();

  constructor(readonly store: ContainerStore<ContainerRecord>) {}

  async load(): Promise<string[]> {
    const { records, orphans } = await this.store.list();
    for (const r of records) {
      this.records.set(r.Id, r);
      this.names.set(r.Name, r.Id);
    }
    return orphans;
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  /** Which containers use an image (images in use are not deleted): the image service's ImageUsage. */
  async containersUsing(imageId: string): Promise<Array<{ id: string; running: boolean }>> {
    return this.all().filter((r) => r.Image === imageId).map((r) => ({ id: r.Id, running: r.State.Running }));
  }

  find(ref: string): ContainerRecord | undefined {
    const exact = this.records.get(ref);
    if (exact) return exact;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.records.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.records.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.records.get(matches[0]) : undefined;
  }

  get(ref: string): ContainerRecord {
    const r = this.find(ref);
    if (!r) throw new NotFoundError(`No such container: ${ref}`);
    return r;
  }

  /** Reserves a name; docker answers a taken one with 409 naming the holder. */
  reserveName(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder && holder !== id) {
      throw new ConflictError(`Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }

  hasName(name: string): boolean {
    return this.names.has(name);
  }

  async save(record: ContainerRecord): Promise<void> {
    await this.store.put(record);
    this.records.set(record.Id, record);
  }

  async forget(record: ContainerRecord): Promise<void> {
    await this.store.remove(record.Id);
    this.records.delete(record.Id);
    this.releaseName(record.Name, record.Id);
  }

  /** Runs state changes of one container one at a time. */
  async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return await this.locks.run(id, fn);
  }
}
