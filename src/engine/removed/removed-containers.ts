/**
 * The records Berth keeps of removed containers (`berth ps --removed`, `/berth/v1/removed`):
 * written at removal before the container's files go, bounded in time and bytes, and looked up
 * by name or ID prefix as containers are.
 */
import { ConflictError, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PublishEvent } from '../events/event-types.js';
import type { RemovedStore } from '../../store/removed/removed-store.js';
import { nextExpiry, oldestToFree, overRetention, resolveKept, type KeptEntry, type RetentionPolicy } from '../../store/removed/retention.js';
import type { ContainerRecord } from '../containers/container-types.js';
import { readLogTail, removedRecord, type RemovedBy, type RemovedRecord } from '../containers/removed-record.js';
import { checkFilterKeys, labelsMatch, type Filters } from '../../core/filters.js';
import { parseUntil } from '../images/image-service.js';

const FILTERS = new Set(['name', 'id', 'label', 'exited', 'reason', 'since', 'until']);
/** The retention timer never sleeps longer (setTimeout's range; a changed clock is caught up). */
const MAX_TIMER_MS = 3_600_000;

export class RemovedContainers {
  private timer: NodeJS.Timeout | undefined;
  /** Evictions run one at a time: the timer, a keep and the disk budget may race. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: RemovedStore<RemovedRecord>,
    readonly policy: RetentionPolicy,
    private readonly log: Logger,
    /** Each record dropped (retention, the disk budget) is a `prune-removed` event with its reason. */
    private readonly publish: PublishEvent = () => undefined,
  ) {}

  get enabled(): boolean {
    return this.policy.keepMs > 0 && this.policy.maxBytes > 0;
  }

  async init(): Promise<void> {
    await this.store.init();
    await this.expire();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Keeps the record of a container being removed, once (a removal a crash interrupted is kept
   * when it is finished). Called before any of the container's files are deleted.
   */
  async keep(r: ContainerRecord, by: RemovedBy): Promise<void> {
    if (!this.enabled || this.store.has(r.Id)) return;
    const log = await readLogTail(r.LogPath);
    await this.store.put(removedRecord(r, by, { bytes: log.data.length, truncated: log.truncated }), log.data);
    await this.expire();
  }

  /** A record by ID, name (the newest removed of that name) or unique ID prefix. */
  async get(ref: string): Promise<RemovedRecord> {
    const entry = this.resolve(ref);
    const record = await this.store.get(entry.id);
    if (!record) throw new NotFoundError(`No such removed container: ${ref}`);
    return record;
  }

  /** The kept log tail, a json-file log: the container logs reader reads it. */
  logPath(id: string): string {
    return this.store.logPath(id);
  }

  resolve(ref: string): KeptEntry {
    const found = resolveKept(this.store.entries(), ref);
    if (found === 'ambiguous') throw new ConflictError(`multiple removed containers found with provided prefix: ${ref}; give more of the ID`);
    if (!found) throw new NotFoundError(`No such removed container: ${ref} (none is kept by that name or ID; berth ps --removed lists those kept)`);
    return found;
  }

  /** Newest removal first. */
  async list(filters: Filters): Promise<RemovedRecord[]> {
    checkFilterKeys(filters, FILTERS);
    const since = filters.since?.[0] !== undefined ? parseUntil(filters.since[0]) : undefined;
    const until = filters.until?.[0] !== undefined ? parseUntil(filters.until[0]) : undefined;
    const out: RemovedRecord[] = [];
    for (const e of this.store.entries().reverse()) {
      if (since !== undefined && e.removedAt < since) continue;
      if (until !== undefined && e.removedAt > until) continue;
      const r = await this.store.get(e.id).catch(() => undefined);
      if (r && matches(r, filters)) out.push(r);
    }
    return out;
  }

  /** Bytes the kept records use on disk (for the disk budget). */
  async usage(): Promise<number> {
    return await Promise.resolve(this.store.usage());
  }

  /** Drops the oldest records until `bytes` are freed (for the disk budget); the bytes freed. */
  async evictOldest(bytes: number, reason: string): Promise<number> {
    return await this.serial(async () => {
      let freed = 0;
      for (const id of oldestToFree(this.store.oldestFirst(), bytes)) freed += await this.drop(id, reason);
      return freed;
    });
  }

  /** Drops what the retention no longer allows, then sets the timer for the next expiry. */
  async expire(): Promise<void> {
    await this.serial(async () => {
      for (const id of overRetention(this.store.oldestFirst(), this.store.usage(), this.policy, Date.now())) await this.drop(id, 'retention');
      this.arm();
    });
  }

  private async drop(id: string, reason: string): Promise<number> {
    const name = this.store.entry(id)?.name ?? '';
    const freed = await this.store.remove(id);
    this.log.debug({ id, reason, bytes: freed }, 'dropped the record of a removed container');
    this.publish({ type: 'container', action: 'prune-removed', id, attributes: { name: name.replace(/^\//, ''), reclaimed: String(freed), reason } });
    return freed;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = nextExpiry(this.store.oldestFirst().next().value, this.policy);
    if (at === undefined) return;
    const ms = Math.min(Math.max(at - Date.now(), 0) + 10, MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.expire().catch((err: unknown) => this.log.warn({ err }, 'expiring records of removed containers failed')), ms);
    this.timer.unref();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function matches(r: RemovedRecord, f: Filters): boolean {
  if (f.name && !f.name.some((n) => new RegExp(n).test(r.Name.slice(1)) || new RegExp(n).test(r.Name))) return false;
  if (f.id && !f.id.some((i) => r.Id.startsWith(i))) return false;
  if (!labelsMatch(f.label, r.Labels)) return false;
  if (f.reason && !f.reason.includes(r.Reason)) return false;
  if (f.exited) {
    for (const c of f.exited) if (!/^-?\d+$/.test(c)) throw new InvalidParameterError(`invalid filter 'exited=${c}': use an exit code`);
    if (!f.exited.some((c) => Number(c) === r.ExitCode)) return false;
  }
  return true;
}
