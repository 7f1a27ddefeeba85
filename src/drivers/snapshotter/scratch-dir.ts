import { chmod, lstat, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from '../../core/atomic-write.js';
import { ConflictError, InvalidParameterError, errnoCode } from '../../core/errors.js';

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
