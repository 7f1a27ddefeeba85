import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errnoCode } from '../core/errors.js';
import { RegistryError } from './registry-errors.js';
import type { RegistryStorage, Sha256 } from './registry-storage.js';

const UUID = /^[a-f0-9-]{36}$/;

/**
 * Upload sessions (`uploads/<uuid>/{data,repo}`): chunks are appended in order, and the blob
 * is hashed and moved into the store only when the client names its digest and it matches.
 * A session untouched for `ttlMs` is removed by sweep(), so an abandoned upload never stays.
 */
export class UploadStore {
  /** Sessions a request is writing now: a second concurrent writer is refused, not interleaved. */
  private readonly busy = new Set<string>();
  /**
   * Running hashes of sessions whose every byte this process received in order, so finishing a
   * large upload need not read it again. Absent (after a restart), finish() hashes the file.
   */
  private readonly hashes = new Map<string, { hash: Hash; size: number }>();

  constructor(private readonly storage: RegistryStorage, private readonly ttlMs: number) {}

  private dir(id: string): string {
    return join(this.storage.uploadDir, id);
  }

  async create(name: string): Promise<string> {
    const id = this.storage.newUploadId();
    await mkdir(this.dir(id), { recursive: true });
    await writeFile(join(this.dir(id), 'repo'), name);
    await writeFile(join(this.dir(id), 'data'), '');
    this.hashes.set(id, { hash: createHash('sha256'), size: 0 });
    return id;
  }

  /** The bytes received so far; throws BLOB_UPLOAD_UNKNOWN for a session of another repository or none. */
  async size(name: string, id: string): Promise<number> {
    if (!UUID.test(id)) throw unknown(id);
    let repo: string;
    try {
      repo = await readFile(join(this.dir(id), 'repo'), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw unknown(id);
      throw err;
    }
    if (repo !== name) throw unknown(id);
    return (await stat(join(this.dir(id), 'data'))).size;
  }

  /**
   * Appends a chunk. With `Content-Range: start-end` the start must be the current size: the
   * spec's answer to an out-of-order chunk is 416 with the Range the registry has.
   */
  async append(name: string, id: string, body: Readable, contentRange: string | undefined): Promise<number> {
    const current = await this.size(name, id);
    if (contentRange !== undefined) {
      const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(contentRange.trim());
      if (!m || Number(m[1]) !== current || Number(m[2]) < Number(m[1])) {
        body.resume();
        throw new RegistryError('RANGE_INVALID', `chunk ${contentRange} does not start at the upload's current size ${current}`, { size: current }, 416, {
          Range: `0-${Math.max(0, current - 1)}`,
          Location: `/v2/${name}/blobs/uploads/${id}`,
        });
      }
    }
    if (this.busy.has(id)) {
      body.resume();
      throw new RegistryError('BLOB_UPLOAD_INVALID', `upload ${id} is being written by another request`);
    }
    this.busy.add(id);
    const running = this.hashes.get(id);
    const live = running && running.size === current ? running : undefined;
    if (!live) this.hashes.delete(id);
    const tee = new Transform({
      transform(chunk: Buffer, _e, cb) {
        if (live) {
          live.hash.update(chunk);
          live.size += chunk.length;
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, tee, createWriteStream(join(this.dir(id), 'data'), { flags: 'a', highWaterMark: 1 << 20 }));
    } catch (err) {
      // A chunk cut short leaves the file and the running hash out of step: hash the file at the end.
      this.hashes.delete(id);
      throw err;
    } finally {
      this.busy.delete(id);
    }
    const now = new Date();
    await utimes(this.dir(id), now, now).catch(() => undefined);
    return this.size(name, id);
  }

  /** Verifies the whole upload against `digest` and moves it into the store; the session ends either way on a mismatch. */
  async finish(name: string, id: string, digest: Sha256): Promise<number> {
    const size = await this.size(name, id);
    const data = join(this.dir(id), 'data');
    const fh = await open(data, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const running = this.hashes.get(id);
    this.hashes.delete(id);
    let actual: string;
    if (running && running.size === size) actual = `sha256:${running.hash.digest('hex')}`;
    else {
      const hash = createHash('sha256');
      for await (const c of createReadStream(data, { highWaterMark: 1 << 20 })) hash.update(c as Buffer);
      actual = `sha256:${hash.digest('hex')}`;
    }
    if (actual !== digest) {
      await this.cancel(name, id);
      throw new RegistryError('DIGEST_INVALID', `uploaded content hashes to ${actual}, not ${digest}; the upload was discarded`, { expected: digest, actual });
    }
    await this.storage.commitBlob(data, digest);
    await this.storage.linkBlob(name, digest);
    await rm(this.dir(id), { recursive: true, force: true });
    return size;
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.size(name, id);
    this.hashes.delete(id);
    await rm(this.dir(id), { recursive: true, force: true });
  }

  /** Removes sessions nobody wrote to within the TTL; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const id of await readdir(this.storage.uploadDir).catch(() => [] as string[])) {
      if (this.busy.has(id)) continue;
      const st = await stat(this.dir(id)).catch(() => undefined);
      const dataSt = await stat(join(this.dir(id), 'data')).catch(() => undefined);
      const last = Math.max(st?.mtimeMs ?? 0, dataSt?.mtimeMs ?? 0);
      if (now - last > this.ttlMs) {
        this.hashes.delete(id);
        await rm(this.dir(id), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}

function unknown(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 80)} is unknown: it was finished, cancelled or expired`);
}
