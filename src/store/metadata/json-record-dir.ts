import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { errnoCode } from '../../core/errors.js';

/** A directory of JSON records, one file per key, each written atomically. */
export class JsonRecordDir<T> {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private path(key: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || key.startsWith('.')) throw new Error(`invalid record key ${JSON.stringify(key)}`);
    return join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as T;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Whether the record exists, without reading it (one stat instead of open, read, close). */
  async has(key: string): Promise<boolean> {
    try {
      await access(this.path(key));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async put(key: string, value: T): Promise<void> {
    await atomicWriteJson(this.path(key), value);
  }

  /**
   * Rewrites a record whose previous version is as good after a crash (a timestamp refreshed):
   * atomic and never torn, one fsync fewer than put (see AtomicWriteOptions.replacing).
   */
  async update(key: string, value: T): Promise<void> {
    await atomicWriteJson(this.path(key), value, 0o644, { replacing: true });
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async keys(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length));
  }

  async all(): Promise<T[]> {
    const out: T[] = [];
    for (const key of await this.keys()) {
      const v = await this.get(key);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
}
