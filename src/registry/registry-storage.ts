import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile, fsyncDir } from '../core/atomic-write.js';
import { errnoCode } from '../core/errors.js';
import { RegistryError } from './registry-errors.js';

export type Sha256 = `sha256:${string}`;

export interface ManifestRevision {
  digest: Sha256;
  mediaType: string;
  size: number;
}

const hex = (d: Sha256): string => d.slice(7);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/**
 * The registry's disk: blobs once by digest (`blobs/sha256/<hex>`, shared by every repository),
 * and per repository the links that say which blobs and manifests it holds:
 * `repositories/<name>/_layers/<hex>`, `_manifests/revisions/<hex>` (its media type),
 * `_manifests/tags/<tag>` (a digest), `_referrers/<subject hex>/<hex>`. Names were checked
 * against the spec's grammar, whose parts never start with `_`, so links and repositories
 * cannot collide. Every write lands in a temp file and is renamed into place.
 */
export class RegistryStorage {
  readonly blobDir: string;
  readonly uploadDir: string;
  readonly repoDir: string;

  constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.uploadDir = join(root, 'uploads');
    this.repoDir = join(root, 'repositories');
  }

  async init(): Promise<void> {
    for (const d of [this.blobDir, this.uploadDir, this.repoDir]) await mkdir(d, { recursive: true });
  }

  blobPath(digest: Sha256): string {
    return join(this.blobDir, hex(digest));
  }

  async blobSize(digest: Sha256): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  private repo(name: string, ...parts: string[]): string {
    return join(this.repoDir, name, ...parts);
  }

  async repoExists(name: string): Promise<boolean> {
    return exists(this.repo(name, '_manifests')) || exists(this.repo(name, '_layers'));
  }

  /** The blob's size when `name` holds it (a link), else undefined. */
  async repoBlobSize(name: string, digest: Sha256): Promise<number | undefined> {
    if (!(await exists(this.repo(name, '_layers', hex(digest))))) return undefined;
    return this.blobSize(digest);
  }

  async linkBlob(name: string, digest: Sha256): Promise<void> {
    const dir = this.repo(name, '_layers');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, hex(digest)), '');
  }

  async unlinkBlob(name: string, digest: Sha256): Promise<boolean> {
    const path = this.repo(name, '_layers', hex(digest));
    if (!(await exists(path))) return false;
    await rm(path, { force: true });
    return true;
  }

  /** Moves a verified file into the blob store (a no-op when the blob is there already). */
  async commitBlob(file: string, digest: Sha256): Promise<void> {
    if ((await this.blobSize(digest)) !== undefined) {
      await rm(file, { force: true });
      return;
    }
    await rename(file, this.blobPath(digest));
    await fsyncDir(this.blobDir);
  }

  async putBytesBlob(bytes: Buffer): Promise<Sha256> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Sha256;
    if ((await this.blobSize(digest)) === undefined) await atomicWriteFile(this.blobPath(digest), bytes);
    return digest;
  }

  async readBlob(digest: Sha256): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  blobStream(digest: Sha256, range?: { start: number; end: number }) {
    return createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async putManifest(name: string, bytes: Buffer, mediaType: string, tag: string | undefined, subject: Sha256 | undefined): Promise<Sha256> {
    const digest = await this.putBytesBlob(bytes);
    await atomicWriteFile(this.repo(name, '_manifests', 'revisions', hex(digest)), mediaType);
    await mkdir(this.repo(name, '_layers'), { recursive: true });
    if (subject) {
      const dir = this.repo(name, '_referrers', hex(subject));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, hex(digest)), '');
    }
    if (tag !== undefined) await atomicWriteFile(this.repo(name, '_manifests', 'tags', tag), digest);
    return digest;
  }

  async resolveTag(name: string, tag: string): Promise<Sha256 | undefined> {
    try {
      return (await readFile(this.repo(name, '_manifests', 'tags', tag), 'utf8')).trim() as Sha256;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async manifest(name: string, digest: Sha256): Promise<ManifestRevision | undefined> {
    let mediaType: string;
    try {
      mediaType = await readFile(this.repo(name, '_manifests', 'revisions', hex(digest)), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const size = await this.blobSize(digest);
    if (size === undefined) return undefined;
    return { digest, mediaType, size };
  }

  async tags(name: string): Promise<string[]> {
    return (await listDir(this.repo(name, '_manifests', 'tags'))).filter((t) => !t.startsWith('.')).sort();
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    const path = this.repo(name, '_manifests', 'tags', tag);
    if (!(await exists(path))) return false;
    await rm(path, { force: true });
    return true;
  }

  /** Removes a manifest revision and every tag that pointed at it. */
  async deleteManifest(name: string, digest: Sha256): Promise<boolean> {
    const path = this.repo(name, '_manifests', 'revisions', hex(digest));
    if (!(await exists(path))) return false;
    for (const tag of await this.tags(name)) if ((await this.resolveTag(name, tag)) === digest) await this.deleteTag(name, tag);
    await rm(path, { force: true });
    for (const subject of await listDir(this.repo(name, '_referrers'))) await rm(this.repo(name, '_referrers', subject, hex(digest)), { force: true });
    return true;
  }

  async manifestDigests(name: string): Promise<Sha256[]> {
    return (await listDir(this.repo(name, '_manifests', 'revisions'))).filter((h) => /^[a-f0-9]{64}$/.test(h)).map((h) => `sha256:${h}` as Sha256);
  }

  async referrers(name: string, subject: Sha256): Promise<Sha256[]> {
    return (await listDir(this.repo(name, '_referrers', hex(subject)))).map((h) => `sha256:${h}` as Sha256);
  }

  /** Every repository: a directory that has a `_manifests` or `_layers` child. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await listDir(join(this.repoDir, rel));
      if (entries.includes('_manifests') || entries.includes('_layers')) out.push(rel);
      for (const e of entries) if (!e.startsWith('_') && !e.startsWith('.')) await walk(rel ? `${rel}/${e}` : e);
    };
    await walk('');
    return out.sort();
  }

  newUploadId(): string {
    return randomUUID();
  }

  async throwIfBlobMissing(name: string, digest: Sha256): Promise<number> {
    const size = await this.repoBlobSize(name, digest);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { digest });
    return size;
  }
}
