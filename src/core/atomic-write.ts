import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { nativeOps } from './native-ops.js';

export interface AtomicWriteOptions {
  /** false: no fsync at all (files derived again at every use, see writeDerivedFile). */
  durable?: boolean;
  /**
   * The file replaces one whose old content is as good after a crash (a record's timestamp
   * refreshed): the new content is synced before the rename, so it is never torn, but the
   * rename is not made durable by syncing the directory. dockerd's metadata writes do the same.
   */
  replacing?: boolean;
}

/**
 * Writes a file so that a crash at any point leaves either the old or the new content:
 * temp file in the same directory, fsync, rename, fsync of the directory.
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, mode = 0o644, opts: AtomicWriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const writer = nativeOps.atomicWrite;
  if (writer) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await writer(path, tmp, bytes, mode, durable, durable && !opts.replacing);
    return;
  }
  await mkdir(dir, { recursive: true });
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (durable && !opts.replacing) await fsyncDir(dir);
}

/**
 * For files derived again at every use (a container's generated /etc files, its OCI bundle):
 * readers never see a torn file, but no fsync is paid since a crash loses nothing of value.
 */
export async function writeDerivedFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await atomicWriteFile(path, data, mode, { durable: false });
}

export async function atomicWriteJson(path: string, value: unknown, mode = 0o644, opts: AtomicWriteOptions = {}): Promise<void> {
  await atomicWriteFile(path, JSON.stringify(value, null, 2) + '\n', mode, opts);
}

/** Writes `data` to `path` and fsyncs it: for a file nothing reads until a later rename or record names it. */
export async function writeSynced(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const fh = await open(path, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of what is at `path` now, a file or a directory. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename or unlink in `dir` durable. */
export const fsyncDir = fsyncPath;
