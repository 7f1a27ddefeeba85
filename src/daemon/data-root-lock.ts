import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, errnoCode } from '../core/errors.js';

/**
 * One daemon per data root: two would corrupt each other's state. Node has no flock, so the lock
 * is a file created with O_EXCL holding the owner's PID; a file left by a dead daemon is taken over.
 */
export class DataRootLock {
  private readonly path: string;

  constructor(dataRoot: string) {
    this.path = join(dataRoot, 'berthd.lock');
  }

  async acquire(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(this.path, 'wx', 0o600);
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
        await fh.close();
        return;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const owner = Number((await readFile(this.path, 'utf8').catch(() => '')).trim());
      if (owner > 0 && owner !== process.pid && (await isBerthd(owner))) {
        throw new ConflictError(`another berthd (pid ${owner}) is already using data root ${join(this.path, '..')}: stop it first, or give this daemon another --data-root`);
      }
      await rm(this.path, { force: true });
    }
    throw new ConflictError(`could not lock data root ${join(this.path, '..')}: another daemon keeps taking it`);
  }

  async release(): Promise<void> {
    const owner = Number((await readFile(this.path, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) await rm(this.path, { force: true });
  }
}

async function isBerthd(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('berthd');
  } catch {
    return false;
  }
}
