import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { errnoCode } from '../../core/errors.js';
import { removeTree } from '../../core/native-ops.js';

/**
 * One directory per container under `<data-root>/containers/<id>/`: the record
 * (`container.json`, written atomically) beside the container's log and generated files.
 */
export class ContainerStore<T extends { Id: string }> {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  dir(id: string): string {
    if (!/^[a-f0-9]{64}$/.test(id)) throw new Error(`invalid container id ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  async put(record: T): Promise<void> {
    await atomicWriteJson(join(this.dir(record.Id), 'container.json'), record, 0o600);
  }

  async get(id: string): Promise<T | undefined> {
    return this.getSync(id);
  }

  /** A record of a few kilobytes: read synchronously, as the thousand of a daemon start are. */
  private getSync(id: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'container.json'), 'utf8')) as T;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Every record; a directory without one is a create that a crash interrupted. Read
   * synchronously: this runs once, at daemon start before the API serves, where a thousand
   * records one promise after another took a sixth of the start.
   */
  async list(): Promise<{ records: T[]; orphans: string[] }> {
    const records: T[] = [];
    const orphans: string[] = [];
    for (const name of readdirSync(this.root)) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const r = this.getSync(name);
      if (r) records.push(r);
      else orphans.push(name);
    }
    return { records, orphans };
  }

  async remove(id: string): Promise<void> {
    await removeTree(this.dir(id));
  }
}
