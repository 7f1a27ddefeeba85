import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { errnoCode } from '../../core/errors.js';

/** What the daemon keeps per volume (`<data-root>/volumes/<name>/volume.json`). */
export interface VolumeRecord {
  Name: string;
  Driver: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  CreatedAt: string;
  /** Made for a container (`-v /path`, image VOLUME): pruned by default, removed by `rm -v`. */
  Anonymous: boolean;
}

/**
 * Volumes on disk: one directory per volume, holding `_data` (the files containers see) and
 * `volume.json`. A directory without `volume.json` is a create that did not finish.
 */
export class VolumeStore {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o701 });
  }

  volumeDir(name: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`invalid volume key ${JSON.stringify(name)}`);
    return join(this.dir, name);
  }

  dataDir(name: string): string {
    return join(this.volumeDir(name), '_data');
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.volumeDir(name), 'volume.json'), 'utf8')) as VolumeRecord;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  /** Makes `_data` first, then writes the record: a crash in between leaves only an orphan dir. */
  async put(record: VolumeRecord): Promise<void> {
    await mkdir(this.dataDir(record.Name), { recursive: true, mode: 0o755 });
    await atomicWriteJson(join(this.volumeDir(record.Name), 'volume.json'), record);
  }

  async delete(name: string): Promise<void> {
    // The record goes first, so a crash mid-delete leaves an orphan dir, never a record without data.
    await rm(join(this.volumeDir(name), 'volume.json'), { force: true });
    await rm(this.volumeDir(name), { recursive: true, force: true });
  }

  /** Records, plus the names of directories whose create never finished (to sweep). */
  async load(): Promise<{ records: VolumeRecord[]; orphans: string[] }> {
    const records: VolumeRecord[] = [];
    const orphans: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.')) continue;
      const r = await this.get(name).catch(() => undefined);
      if (r) records.push(r);
      else orphans.push(name);
    }
    return { records, orphans };
  }
}
