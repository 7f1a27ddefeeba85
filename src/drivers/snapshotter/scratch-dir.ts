import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../../core/atomic-write.js';
import { ConflictError, InvalidParameterError, errnoCode } from '../../core/errors.js';

/**
 * `<root>/tmp`: where a driver builds a layer or rootfs before renaming it into place, and parks a
 * tree it removes. It is on the same filesystem as the final places, so both renames are atomic: a
 * crash leaves either nothing or the whole thing, plus debris here that `init` clears.
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
    await rm(path, { recursive: true, force: true });
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
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Layer and rootfs IDs become file names: refuse anything that could be a path. */
export function assertSafeName(what: string, id: string): void {
  if (!SAFE_NAME.test(id)) throw new InvalidParameterError(`invalid ${what} ID "${id}": use letters, digits, '_', '.', '-'`);
}

/** Renames a finished build to its final place; ConflictError if another create of it won. */
export async function renameIntoPlace(build: string, dest: string, what: string): Promise<void> {
  try {
    await rename(build, dest);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ConflictError(`${what} already exists`, { cause: err });
    throw err;
  }
  await fsyncDir(dirname(dest));
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** mkdir with exactly `mode`, whatever the process umask (the root dir of an image is 0755). */
export async function mkdirMode(path: string, mode: number): Promise<void> {
  await mkdir(path);
  await chmod(path, mode);
}
