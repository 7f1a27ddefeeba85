import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errors.js';
import { removeTree } from './native-ops.js';

/**
 * A scratch directory (a snapshotter's `<root>/tmp`, the content store's `deleting/`): where a
 * layer or rootfs is built before it is renamed into place, and where what is removed is parked.
 * It is on the same filesystem as the final places, so both renames are atomic: a crash leaves
 * either nothing or the whole thing, plus debris here that `init` clears.
 */
export class ScratchDir {
  constructor(readonly dir: string) {}

  /** Creates the directory and removes what a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.dir)) await rm(join(this.dir, name), { recursive: true, force: true });
  }

  /** A fresh, empty, private directory (mode 0700) under the scratch dir. */
  async create(): Promise<string> {
    return await mkdtemp(`${this.dir}/`);
  }

  async discard(path: string): Promise<void> {
    await removeTree(path);
  }

  /**
   * Removes `path` so that it disappears at once (rename into scratch), then deletes it. A missing
   * `path` is fine. The caller makes sure no mount is left inside it.
   */
  async removeTree(path: string): Promise<void> {
    const parked = await this.create();
    try {
      await rename(path, join(parked, 'removed'));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        await this.discard(parked);
        throw err;
      }
    }
    await this.discard(parked);
  }

  /**
   * removeTree for a caller that must see `path` gone before it yields (the content store's
   * collection, which checks leases and removes in one step): the rename is synchronous, the
   * deletion follows on the pool. Unlinking a 40 MB blob held the event loop 20-50 ms. Returns
   * false when there was nothing at `path`.
   */
  removeNow(path: string): boolean {
    const parked = join(this.dir, `now-${randomBytes(8).toString('hex')}`);
    try {
      renameSync(path, parked);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    void this.discard(parked).catch(() => undefined);
    return true;
  }
}

