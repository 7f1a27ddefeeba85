import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { fsyncDir } from '../../core/atomic-write.js';
import { hearErrors, writeChunks } from '../../core/file-sink.js';
import { digestHex, isDigest, type Digest } from '../../core/digest.js';
import { ScratchDir } from '../../core/scratch-dir.js';
import { sha256Hasher, type BatchHasher } from '../../core/native-ops.js';
import { errnoCode, InvalidParameterError, NotFoundError, SystemError } from '../../core/errors.js';

const PARTIAL_TTL_MS = 7 * 24 * 3600 * 1000;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ExpectedBlob {
  digest?: Digest;
  size?: number;
  /**
   * Called with the content's digest as soon as it is known, before the store looks for the blob
   * or commits it: a lease taken there holds against a garbage collection running meanwhile,
   * which would otherwise delete a blob that exists already, or was just committed, under us.
   */
  lease?: (digest: Digest) => void;
}

/** How long a blob this process hashed as it wrote it counts as verified (freshlyWritten). */
const FRESH_MS = 10 * 60_000;
const FRESH_MAX = 4096;

/**
 * Blobs by sha256 digest under `<root>/blobs/sha256/<hex>`. A write goes to `<root>/ingest`,
 * is fsynced, checked against the expected digest and size, then renamed into place: a blob
 * whose digest does not match is refused and never becomes visible. Reads verify too.
 */
export class ContentStore {
  /** Blobs this process hashed as it wrote them, and when: an image's layers, unpacked right after. */
  private readonly fresh = new Map<Digest, number>();
  private readonly blobDir: string;
  private readonly ingestDir: string;
  private readonly partialDir: string;
  /** Blobs moved out of the store, being unlinked (deleteUnless). */
  private readonly deleting: ScratchDir;

  constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    this.partialDir = join(root, 'partial');
    this.deleting = new ScratchDir(join(root, 'deleting'));
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.partialDir, { recursive: true });
    // Deleted before a stop, not unlinked yet.
    await this.deleting.init();
    // Leftovers of writes interrupted by a crash were never acknowledged.
    for (const name of await readdir(this.ingestDir)) await rm(join(this.ingestDir, name), { force: true });
    // Partial downloads are kept for the next pull to resume, but not for ever.
    for (const name of await readdir(this.partialDir)) {
      const st = await stat(join(this.partialDir, name)).catch(() => undefined);
      if (!st || Date.now() - st.mtimeMs > PARTIAL_TTL_MS) await rm(join(this.partialDir, name), { force: true });
    }
  }

  /**
   * Where a download of `digest` collects its bytes: keyed by digest, so a pull interrupted by a
   * crash resumes from what it has. Never read as a blob: it becomes one only through commitPartial.
   */
  partialPath(digest: Digest): string {
    return join(this.partialDir, digestHex(digest));
  }

  /**
   * Writes a download's chunks to its partial file (from the start, or after what is there when
   * `append`), one write in flight at a time; `onChunk` as in writeChunks. Here rather than in
   * the puller so berthd's bundle keeps writeChunks out of a chunk of its own, which its start
   * would load (+0.4 MiB idle RSS, measured).
   */
  async writePartial(digest: Digest, source: AsyncIterable<unknown>, append: boolean, onChunk: (chunk: Buffer) => Promise<void> | void, hasher?: BatchHasher): Promise<void> {
    hearErrors(source);
    const fh = await open(this.partialPath(digest), append ? 'a' : 'w');
    try {
      await writeChunks(fh, source, onChunk, hasher);
    } finally {
      await fh.close();
    }
  }

  /** Moves a partial download the caller has verified into the store. */
  async commitPartial(digest: Digest): Promise<void> {
    const path = this.partialPath(digest);
    let fh;
    try {
      fh = await open(path, 'r+');
    } catch (err) {
      // Another pull of the same blob committed it first.
      if (errnoCode(err) === 'ENOENT' && (await this.has(digest))) return;
      throw err;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (await this.has(digest)) {
      await rm(path, { force: true });
      return;
    }
    try {
      await this.commitIngest(path, digest);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && (await this.has(digest))) return;
      throw err;
    }
  }

  blobPath(digest: Digest): string {
    return join(this.blobDir, digestHex(digest));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async writeBytes(data: Uint8Array | string, expected: ExpectedBlob = {}): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}` as Digest;
    checkExpected(digest, buf.length, expected);
    expected.lease?.(digest);
    if (await this.has(digest)) return { digest, size: buf.length };
    const tmp = this.ingestPath();
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.commitIngest(tmp, digest);
    return { digest, size: buf.length };
  }

  /**
   * Streams a blob in, each batch hashed beside its write (on the pool in berthd, see
   * core/native-ops.ts), then fsyncs and commits it. Any async iterable of bytes will do (a
   * stream, a tar entry's content).
   */
  async writeStream(source: AsyncIterable<unknown>, expected: ExpectedBlob = {}): Promise<BlobInfo> {
    hearErrors(source);
    const tmp = this.ingestPath();
    const hash = sha256Hasher();
    try {
      const fh = await open(tmp, 'w', 0o644);
      let size: number;
      try {
        size = await writeChunks(fh, source, undefined, hash);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const digest = `sha256:${hash.digest()}` as Digest;
      checkExpected(digest, size, expected);
      expected.lease?.(digest);
      if (await this.has(digest)) {
        await unlink(tmp);
        return { digest, size };
      }
      await this.commitIngest(tmp, digest);
      return { digest, size };
    } catch (err) {
      // A stream left unread would hold its producer (a request, a decompressor) open.
      (source as { destroy?: () => void }).destroy?.();
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Reads a whole blob and checks its digest: a blob changed on disk is reported, not served. */
  async readBytes(digest: Digest): Promise<Buffer> {
    const fh = await this.openBlob(digest);
    let buf: Buffer;
    try {
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
    const actual = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (actual !== digest) throw corrupt(digest, actual);
    return buf;
  }

  async readJson<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.readBytes(digest)).toString('utf8')) as T;
  }

  /** A stream of the blob that fails at its end if the content does not hash to `digest`. */
  async readStream(digest: Digest): Promise<Readable> {
    const fh = await this.openBlob(digest);
    const hash = createHash('sha256');
    const verifier = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const actual = `sha256:${hash.digest('hex')}`;
        cb(actual === digest ? null : corrupt(digest, actual));
      },
    });
    return fh.createReadStream().pipe(verifier);
  }

  /** An unverified read of a blob's file, for callers that hash it themselves. */
  rawStream(digest: Digest): Readable {
    // 64 KiB reads, the default: 1 MiB ones make fewer calls, but each is a fresh external
    // buffer, and 200 of them drove V8 into ~90 full collections per pull (perf_hooks 'gc').
    return createReadStream(this.blobPath(digest));
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /**
   * Deletes the blob unless `keep()` says otherwise, both at once: no other task can lease it
   * between the check and the unlink (garbage collection against writers in flight).
   */
  deleteUnless(digest: Digest, keep: () => boolean): void {
    if (!keep()) this.deleting.removeNow(this.blobPath(digest));
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobDir);
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }

  private ingestPath(): string {
    return join(this.ingestDir, randomBytes(12).toString('hex'));
  }

  private async commitIngest(tmp: string, digest: Digest): Promise<void> {
    await rename(tmp, this.blobPath(digest));
    await fsyncDir(this.blobDir);
    if (this.fresh.size >= FRESH_MAX) this.fresh.clear();
    this.fresh.set(digest, Date.now());
  }

  /**
   * Whether this process wrote the blob lately, hashing every byte on the way in: a reader that
   * would hash it again (a layer unpacked right after its pull or load) may read it raw. A blob
   * that was already there when written again does not count: its file was not the one hashed.
   */
  freshlyWritten(digest: Digest): boolean {
    const at = this.fresh.get(digest);
    return at !== undefined && Date.now() - at < FRESH_MS;
  }

  private async openBlob(digest: Digest) {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`blob ${digest} not found in the content store`);
      throw err;
    }
  }
}

function checkExpected(digest: Digest, size: number, expected: ExpectedBlob): void {
  if (expected.digest !== undefined && expected.digest !== digest) {
    throw new InvalidParameterError(`content digest mismatch: expected ${expected.digest}, got ${digest}; the data is corrupt or truncated and was not stored`);
  }
  if (expected.size !== undefined && expected.size !== size) {
    throw new InvalidParameterError(`content size mismatch for ${digest}: expected ${expected.size} bytes, got ${size}; the data was not stored`);
  }
}

function corrupt(digest: Digest, actual: string): SystemError {
  return new SystemError(`blob ${digest} is corrupt on disk (its content hashes to ${actual}); remove the image and load or pull it again`);
}
