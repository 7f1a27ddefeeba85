import { PassThrough, type Readable } from 'node:stream';
import { detectCompression } from '../../core/compression.js';
import type { Digest } from '../../core/digest.js';
import { eventOrClose } from '../../core/event-or-close.js';
import { hasTarMagic } from '../../core/tar-magic.js';
import type { DetachedLayer } from '../../drivers/snapshotter/snapshotter.js';
import { drainLayer, uncompressedLayer } from './layer-stream.js';

/** A layer unpacked from an archive's blob, and the digest of the blob's uncompressed bytes. */
export interface AheadLayer {
  layer: DetachedLayer;
  diffId: Digest;
}

/** How one blob entry is stored when it may be unpacked ahead (UnpackAhead.feed). */
export interface AheadFeed {
  /** The entry's bytes, unchanged, for the content store. */
  source: AsyncIterable<unknown>;
  /** The store verified the blob as `digest`: its unpack, if any, can be found by it. */
  stored(digest: Digest): void;
  /** The store did not take the blob: its unpack, if any, is dropped. */
  abandon(): void;
}

/** Blobs smaller than this are unpacked from the store: the overlap would save little. */
export const AHEAD_MIN_BYTES = 1 << 20;

/**
 * Layers unpacked while a `docker load` archive streams (issue 22). A layer's blob arrives
 * before the manifest that says it is a layer, or what it stacks on, so a load used to store the
 * whole archive and only then unpack each layer from the store: the same bytes read twice, one
 * pass after the other. Where the driver allows it (Snapshotter.unpackDetached), each blob that
 * looks like a layer (a tar, or gzip or zstd) is also unpacked as it is stored, into a scratch
 * directory; once the manifests are read, LayerUnpacker adopts the unpack whose uncompressed
 * bytes hash to the layer's diff ID, and everything not adopted is discarded. A blob that is no
 * layer costs a failed tar parse of its first block.
 */
export class UnpackAhead {
  private readonly byDigest = new Map<Digest, Promise<AheadLayer | undefined>>();
  private readonly jobs = new Set<Promise<AheadLayer | undefined>>();
  private readonly taken = new Set<Promise<AheadLayer | undefined>>();

  constructor(private readonly unpack: (tar: Readable) => Promise<DetachedLayer>) {}

  /** Wraps a blob entry of `size` bytes; its unpack, if one starts, goes at the store's pace. */
  feed(content: AsyncIterable<unknown>, size: number): AheadFeed {
    if (size < AHEAD_MIN_BYTES) return { source: content, stored: () => undefined, abandon: () => undefined };
    let digest!: { resolve: (d: Digest) => void; reject: (err: Error) => void };
    const stored = new Promise<Digest>((resolve, reject) => (digest = { resolve, reject }));
    // Read only by a plain tar's job; a rejection nobody awaits must not end the daemon.
    stored.catch(() => undefined);
    let job: { feed: PassThrough; result: Promise<AheadLayer | undefined> } | undefined;
    const start = (head: Buffer): void => {
      job = this.start(head, stored);
      if (job) this.jobs.add(job.result);
    };
    async function* source(): AsyncGenerator<Buffer> {
      let first = true;
      let ended = false;
      try {
        for await (const data of content) {
          const chunk = data as Buffer;
          if (first) {
            first = false;
            start(chunk);
          }
          if (job && !job.feed.destroyed && !job.feed.write(chunk)) await eventOrClose(job.feed, 'drain');
          yield chunk;
        }
        ended = true;
        job?.feed.end();
      } finally {
        // The store stopped reading (it failed, or the archive did): the unpack stops too.
        if (!ended) job?.feed.destroy(new Error('the blob was not stored whole'));
      }
    }
    return {
      source: source(),
      stored: (d) => {
        digest.resolve(d);
        if (!job) return;
        const earlier = this.byDigest.get(d);
        // The same blob twice in one archive: the first unpack serves, the second goes.
        if (earlier) return;
        this.byDigest.set(d, job.result);
      },
      abandon: () => {
        digest.reject(new Error('the blob was not stored'));
        job?.feed.destroy(new Error('the blob was not stored'));
      },
    };
  }

  /** The unpack of blob `digest`, now the caller's to adopt or discard; undefined if none. */
  take(digest: Digest): Promise<AheadLayer | undefined> | undefined {
    const result = this.byDigest.get(digest);
    if (!result) return undefined;
    this.byDigest.delete(digest);
    this.taken.add(result);
    return result;
  }

  /** Waits for every unpack not taken and removes what it made. */
  async discardRest(): Promise<void> {
    for (const result of this.jobs) {
      if (this.taken.has(result)) continue;
      const ahead = await result;
      await ahead?.layer.discard().catch(() => undefined);
    }
    this.jobs.clear();
    this.byDigest.clear();
  }

  private start(head: Buffer, stored: Promise<Digest>): { feed: PassThrough; result: Promise<AheadLayer | undefined> } | undefined {
    const kind = detectCompression(head);
    // bzip2 and xz would cost a child process each, for a rare kind of layer.
    if (kind !== 'none' && kind !== 'gzip' && kind !== 'zstd') return undefined;
    if (kind === 'none' && !hasTarMagic(head)) return undefined;
    // A megabyte of slack: the store and the unpack each write at their own pace in between.
    const feed = new PassThrough({ highWaterMark: 1 << 20 });
    // A plain blob's digest is its diff ID, and the store hashes it already.
    const { stream, diffId } = uncompressedLayer(feed, kind, kind !== 'none');
    const result = (async (): Promise<AheadLayer | undefined> => {
      let layer: DetachedLayer | undefined;
      try {
        layer = await this.unpack(stream);
        await drainLayer(stream);
      } catch {
        // Not a layer, or a broken one: the store's copy is unpacked (and judged) the usual way.
        feed.destroy();
        await layer?.discard().catch(() => undefined);
        return undefined;
      }
      try {
        return { layer, diffId: diffId() ?? (await stored) };
      } catch {
        await layer.discard().catch(() => undefined);
        return undefined;
      }
    })();
    return { feed, result };
  }
}
