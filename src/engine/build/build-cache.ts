import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '../../core/atomic-write.js';
import type { Digest } from '../../core/digest.js';

/**
 * The build cache: which image a step produced, keyed by everything the step's result depends
 * on (the parent image, the instruction as expanded, the args and env it ran with, and for
 * COPY/ADD a digest of every source file's content and metadata). Lookups are a map read; the
 * caller checks the image still exists. Kept in `<data-root>/build/cache.json`, written atomically.
 */
const MAX_RESULTS = 4;

export class BuildCache {
  /** Newest first: a --no-cache rebuild adds a result, older ones stay usable for --cache-from. */
  private entries = new Map<string, Digest[]>();
  private loaded = false;
  private dirty = false;

  constructor(private readonly dir: string) {}

  static key(parts: readonly unknown[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const text = await readFile(join(this.dir, 'cache.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return;
    try {
      this.entries = new Map(Object.entries(JSON.parse(text) as Record<string, Digest[]>).filter(([, v]) => Array.isArray(v)));
    } catch {
      this.entries = new Map(); // a damaged index only costs cache misses
    }
  }

  async get(key: string): Promise<readonly Digest[]> {
    await this.load();
    return this.entries.get(key) ?? [];
  }

  async set(key: string, id: Digest): Promise<void> {
    await this.load();
    this.entries.set(key, [id, ...(this.entries.get(key) ?? []).filter((x) => x !== id)].slice(0, MAX_RESULTS));
    this.dirty = true;
  }

  /** Every key with its results, newest first. */
  async all(): Promise<Array<[string, readonly Digest[]]>> {
    await this.load();
    return [...this.entries];
  }

  /** Drops a result whose image is gone. */
  async forget(key: string, id: Digest): Promise<void> {
    await this.load();
    const left = (this.entries.get(key) ?? []).filter((x) => x !== id);
    if (left.length > 0) this.entries.set(key, left);
    else this.entries.delete(key);
    this.dirty = true;
  }

  /** Forgets every entry; returns their keys. */
  async clear(): Promise<string[]> {
    await this.load();
    const keys = [...this.entries.keys()];
    this.entries.clear();
    this.dirty = true;
    await this.flush();
    return keys;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await atomicWriteFile(join(this.dir, 'cache.json'), JSON.stringify(Object.fromEntries(this.entries)));
  }
}
