import { createReadStream } from 'node:fs';
import { rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { Digest } from '../../../core/digest.js';
import { errnoCode, InvalidParameterError } from '../../../core/errors.js';
import { sha256Hasher } from '../../../core/native-ops.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import { failure, type RegistryHttp } from './registry-http.js';

export interface FetchedBlob {
  /** Bytes this call received from the registry (less than the size when it resumed). */
  received: number;
  resumedFrom: number;
  /** Whether every byte of the blob went through the `tee` given, in order, and was verified. */
  teed: boolean;
}

/** Sees each chunk of a download (after the size check, before the write); may ask it to wait. */
export type BlobTee = (chunk: Buffer) => Promise<void> | undefined;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw err;
  }
}

/**
 * Downloads a blob into its partial file (keyed by digest), resuming with `Range` from what an
 * earlier, interrupted pull left, and verifies the whole file against the digest and size. The
 * blob is not in the store yet: the caller commits it once every blob of the image is verified.
 * A mismatch deletes the partial file and fails with an error that names the blob.
 */
export async function fetchBlob(http: RegistryHttp, repo: string, digest: Digest, size: number, content: ContentStore, onBytes: (current: number) => void, tee?: BlobTee): Promise<FetchedBlob> {
  // Two pulls needing one blob share its partial file: the second waits for the first's download.
  for (let running = inflight.get(digest); running; running = inflight.get(digest)) await running.catch(() => undefined);
  if (await content.has(digest)) return { received: 0, resumedFrom: size, teed: false };
  const job = download(http, repo, digest, size, content, onBytes, tee);
  inflight.set(digest, job);
  try {
    return await job;
  } catch (err) {
    // The other pull committed the complete partial file while this one was re-reading it.
    if (errnoCode(err) === 'ENOENT' && (await content.has(digest))) return { received: 0, resumedFrom: size, teed: false };
    throw err;
  } finally {
    inflight.delete(digest);
  }
}

const inflight = new Map<Digest, Promise<FetchedBlob>>();

async function download(http: RegistryHttp, repo: string, digest: Digest, size: number, content: ContentStore, onBytes: (current: number) => void, tee: BlobTee | undefined): Promise<FetchedBlob> {
  const path = content.partialPath(digest);
  // An empty blob (an empty layer) needs no request, but its partial file must exist to commit.
  if (size === 0) await writeFile(path, '', { flag: 'a' });
  let have = await sizeOf(path);
  if (have > size) {
    await truncate(path, 0);
    have = 0;
  }
  // On berthd's pool, beside the writes (native-ops.ts); a resumed download's first part too.
  const hash = sha256Hasher();
  // What was hashed is what is verified: the file may be renamed by a concurrent pull meanwhile.
  let hashed = 0;
  let received = 0;
  let resumedFrom = 0;
  let teed = false;
  if (have < size) {
    const res = await http.request('GET', `/v2/${repo}/blobs/${digest}`, { scope: `repository:${repo}:pull`, headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
    if (res.statusCode === 206 && have > 0 && new RegExp(`^bytes ${have}-`).test(res.headers['content-range'] ?? '')) {
      resumedFrom = have;
      for await (const c of createReadStream(path, { end: have - 1 })) {
        await hash.update([c as Buffer]);
        hashed += (c as Buffer).length;
      }
    } else if (res.statusCode === 200) {
      have = 0;
      // Only a download from the first byte can feed a tee (an unpack) the whole blob.
      teed = tee !== undefined;
    } else {
      throw await failure(res, `failed to fetch blob ${digest} from ${http.host}/${repo}`);
    }
    try {
      await content.writePartial(digest, res, have > 0, (chunk) => {
        received += chunk.length;
        if (have + received > size) {
          throw new InvalidParameterError(`blob ${digest} from ${http.host}/${repo} is larger than the ${size} bytes its manifest says; nothing was stored`);
        }
        hashed += chunk.length;
        onBytes(have + received);
        return teed ? tee?.(chunk) : undefined;
      }, hash);
    } catch (err) {
      // The file may not have opened, and then nothing read the response.
      res.destroy();
      throw err;
    }
  } else {
    for await (const c of createReadStream(path)) {
      await hash.update([c as Buffer]);
      hashed += (c as Buffer).length;
    }
  }
  const total = hashed;
  const actual = `sha256:${hash.digest()}`;
  if (actual !== digest || total !== size) {
    await rm(path, { force: true });
    throw new InvalidParameterError(`filesystem layer verification failed for digest ${digest}: the registry ${http.host} sent ${total} bytes hashing to ${actual}; nothing was stored`);
  }
  return { received, resumedFrom, teed };
}
