import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeSynced } from '../../core/atomic-write.js';
import { errnoCode } from '../../core/errors.js';
import { oldestFirst, type KeptEntry } from './retention.js';

/** The fields of a kept record the store indexes; the rest is the engine's. */
export interface KeptRecordBase {
  Id: string;
  Name: string;
  RemovedAt: string;
}

const RECORD = 'record.json';
/** The tail of the container's log, in the json-file format, so the usual log reader reads it. */
const LOG = 'container-json.log';
const ID = /^[a-f0-9]{64}$/;

/**
 * Records of removed containers, one directory each under `<data-root>/removed/<id>/`: the log
 * tail is written and fsynced first, then `record.json` atomically (temp + fsync + rename); the
 * record is what makes an entry exist, so a directory without one is a keep a crash interrupted and is
 * swept at load. Only a small index is held in memory; records are read from disk when asked.
 */
export class RemovedStore<T extends KeptRecordBase> {
  /** Oldest removal first (retention.ts `oldestFirst`), as Map iteration keeps insertion order. */
  private index = new Map<string, KeptEntry>();
  private newest: KeptEntry | undefined;
  private totalBytes = 0;

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const found: KeptEntry[] = [];
    for (const id of await readdir(this.root)) {
      if (!ID.test(id)) continue;
      const record = await this.get(id).catch(() => undefined);
      if (!record) {
        await rm(join(this.root, id), { recursive: true, force: true });
        continue;
      }
      found.push({ id, name: record.Name, removedAt: Date.parse(record.RemovedAt), bytes: await this.diskBytes(id) });
    }
    this.reindex(found);
  }

  /** Every entry, oldest removal first. */
  entries(): KeptEntry[] {
    return [...this.index.values()];
  }

  /** The entries oldest first, without a copy (for walks that stop early). */
  oldestFirst(): IterableIterator<KeptEntry> {
    return this.index.values();
  }

  entry(id: string): KeptEntry | undefined {
    return this.index.get(id);
  }

  private reindex(entries: KeptEntry[]): void {
    entries.sort(oldestFirst);
    this.index = new Map(entries.map((e) => [e.id, e]));
    this.newest = entries.at(-1);
    this.totalBytes = entries.reduce((n, e) => n + e.bytes, 0);
  }

  /** Adds (or replaces) an entry, keeping the order: a removal is nearly always the newest. */
  private add(entry: KeptEntry): void {
    const old = this.index.get(entry.id);
    if (old) {
      this.index.delete(entry.id);
      this.totalBytes -= old.bytes;
      if (this.newest === old) this.newest = [...this.index.values()].at(-1);
    }
    if (this.newest && oldestFirst(entry, this.newest) < 0) {
      // Older than the newest kept (the clock went back, a removal finished after a crash): once in a while.
      this.reindex([...this.index.values(), entry]);
      return;
    }
    this.index.set(entry.id, entry);
    this.newest = entry;
    this.totalBytes += entry.bytes;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  private dir(id: string): string {
    if (!ID.test(id)) throw new Error(`invalid container id ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dir(id), LOG);
  }

  async put(record: T, log: Buffer): Promise<KeptEntry> {
    const dir = this.dir(record.Id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // The log and the record's temp file are fsynced side by side (their waits overlap); the
    // record is renamed into place only once both are on disk, so it never names a lost log.
    // No rename for the log: until the record exists, nothing reads it.
    const tmp = join(dir, `.${RECORD}.tmp`);
    await Promise.all([writeSynced(join(dir, LOG), log, 0o600), writeSynced(tmp, JSON.stringify(record, null, 2) + '\n', 0o600)]);
    await rename(tmp, join(dir, RECORD));
    // The record's name in its directory, and the directory's own name in the root (made by
    // mkdir), durable together.
    await Promise.all([fsyncDir(dir), fsyncDir(this.root)]);
    const entry = { id: record.Id, name: record.Name, removedAt: Date.parse(record.RemovedAt), bytes: await this.diskBytes(record.Id) };
    this.add(entry);
    return entry;
  }

  async get(id: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(id), RECORD), 'utf8')) as T;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Drops a record; the bytes it freed. The record goes first, so a crash mid-way leaves a directory the next load sweeps. */
  async remove(id: string): Promise<number> {
    const entry = this.index.get(id);
    if (entry) {
      this.index.delete(id);
      this.totalBytes -= entry.bytes;
      if (this.newest === entry) this.newest = [...this.index.values()].at(-1);
    }
    await rm(join(this.dir(id), RECORD), { force: true });
    await rm(this.dir(id), { recursive: true, force: true });
    return entry?.bytes ?? 0;
  }

  /** Bytes all kept records use on disk. */
  usage(): number {
    return this.totalBytes;
  }

  /** What the entry takes on disk: its files' allocated blocks and the directory's. */
  private async diskBytes(id: string): Promise<number> {
    const dir = this.dir(id);
    let bytes = (await stat(dir)).blocks * 512;
    for (const f of [RECORD, LOG]) bytes += await stat(join(dir, f)).then((s) => s.blocks * 512, () => 0);
    return bytes;
  }
}
