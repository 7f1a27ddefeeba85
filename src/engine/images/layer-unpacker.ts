import { PassThrough, type Readable } from 'node:stream';
import { chainIds, digestHex, type Digest } from '../../core/digest.js';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import type { LayerBlobRef } from '../../store/metadata/image-store.js';
import { layerCompression } from './archive/compression.js';
import type { AheadLayer, UnpackAhead } from './unpack-ahead.js';
import { drainLayer, uncompressedLayer } from './layer-stream.js';
import type { ImageDeps } from './image-catalog.js';

/** A layer being unpacked from a download (LayerUnpacker.streamLayer). */
export interface StreamedLayer {
  /** Where the blob's bytes go, in order; ended once all were written, destroyed on failure. */
  feed: PassThrough;
  /** Settles when the unpack does: true when the layer was unpacked and recorded. */
  done: Promise<boolean>;
}

/**
 * Unpacks each layer once, keyed by chain ID, verifying while it streams that the
 * uncompressed bytes hash to the diff ID the image config promises.
 */
export class LayerUnpacker {
  private readonly inflight = new Map<string, Promise<void>>();
  /** Layers garbage collection is removing. */
  private readonly removals = new Map<string, Promise<void>>();

  constructor(private readonly deps: Pick<ImageDeps, 'content' | 'layers' | 'snapshotter' | 'log'>) {}

  /**
   * Runs garbage collection's `remove` of layer `chainId` unless the layer is being unpacked (or
   * removed already); an unpack of it that starts meanwhile waits for the removal, then finds it
   * gone. The check and the claim are one synchronous step. Returns whether it removed.
   */
  async collectLayer(chainId: string, remove: () => Promise<void>): Promise<boolean> {
    if (this.inflight.has(chainId) || this.removals.has(chainId)) return false;
    const job = remove().finally(() => this.removals.delete(chainId));
    this.removals.set(chainId, job);
    await job;
    return true;
  }

  /** Unpacks the layers not there yet, in order; `ahead` holds those a load unpacked already. */
  async ensureLayers(layers: readonly LayerBlobRef[], ahead?: UnpackAhead): Promise<Digest[]> {
    const chains = chainIds(layers.map((l) => l.diffId));
    for (let i = 0; i < layers.length; i++) {
      const chainId = chains[i] as Digest;
      const parent = i > 0 ? (chains[i - 1] as Digest) : null;
      const layer = layers[i] as LayerBlobRef;
      await this.removals.get(chainId)?.catch(() => undefined);
      const joined = this.inflight.get(chainId);
      if (joined) {
        // Another image's blob with the same diff ID is being unpacked. If that blob was bad (a
        // corrupt or differently compressed copy), its failure is not this image's: use our own.
        const ok = await joined.then(() => true, () => false);
        if (ok) continue;
      }
      await this.unpackOnce(chainId, parent, layer, ahead);
    }
    return chains;
  }

  /** ensureOne, shared with concurrent callers of the same chain ID. */
  private async unpackOnce(chainId: Digest, parent: Digest | null, layer: LayerBlobRef, ahead?: UnpackAhead): Promise<void> {
    let job = this.inflight.get(chainId);
    if (!job) {
      job = this.ensureOne(chainId, parent, layer, ahead).finally(() => this.inflight.delete(chainId));
      this.inflight.set(chainId, job);
    }
    await job;
  }

  /**
   * Starts unpacking `layers[index]` from its blob's bytes as a download receives them, before
   * the blob is in the store: the caller writes every byte of the blob, in order, to the feed it
   * gets, then ends it and resolves `verified` once the blob matched its digest (or destroys the
   * feed and rejects `verified`). Nothing is recorded before then, and a failure removes what was
   * unpacked; `ensureLayers` joins the job, and unpacks from the store itself if the job failed.
   * Undefined when there is nothing to stream into: the layer is there or being unpacked, its
   * parent is not unpacked yet (layers stack in order), or its media type is not one we read.
   */
  async streamLayer(layers: readonly LayerBlobRef[], index: number, verified: Promise<unknown>): Promise<StreamedLayer | undefined> {
    const chains = chainIds(layers.map((l) => l.diffId));
    const chainId = chains[index] as Digest;
    const parent = index > 0 ? (chains[index - 1] as Digest) : null;
    const layer = layers[index] as LayerBlobRef;
    if (layerCompression(layer.mediaType) === undefined || this.inflight.has(chainId) || this.removals.has(chainId)) return undefined;
    if (await this.present(chainId)) return undefined;
    if (parent !== null && !(await this.present(parent))) return undefined;
    // Another caller (or a collection) may have started on the layer while this one looked.
    if (this.inflight.has(chainId) || this.removals.has(chainId)) return undefined;
    // Two network chunks of slack: the download runs at the unpack's pace, holding little.
    const feed = new PassThrough({ highWaterMark: 128 << 10 });
    // The blob's digest is its diff ID when it is uncompressed: the download's check covers both.
    const hashDiff = !(layerCompression(layer.mediaType) === 'none' && layer.digest === layer.diffId);
    const job = this.apply(chainId, parent, layer, feed, hashDiff, verified).finally(() => this.inflight.delete(chainId));
    // Its failure is seen by ensureLayers (which then unpacks from the store), or by no one; a
    // failure before the unpack read anything (removing a stale snapshot) must still let the
    // download's writes through, or it would wait for ever.
    job.catch(() => feed.destroy());
    // Awaited in apply; a download that fails while the unpack has already failed must not be
    // an unhandled rejection.
    verified.catch(() => undefined);
    this.inflight.set(chainId, job);
    return { feed, done: job.then(() => true, () => false) };
  }

  /** Whether the layer is unpacked and recorded. */
  private async present(chainId: Digest): Promise<boolean> {
    const existing = await this.deps.layers.get(chainId);
    return existing !== undefined && (await this.deps.snapshotter.hasLayer(existing.snapshotId));
  }

  private async ensureOne(chainId: Digest, parent: Digest | null, layer: LayerBlobRef, ahead?: UnpackAhead): Promise<void> {
    const early = ahead?.take(layer.digest);
    if (await this.present(chainId)) {
      await (await early)?.layer.discard();
      return;
    }
    if (early && (await this.adopt(chainId, parent, layer, await early))) return;
    // Each hash of a 200 MB layer costs half a second here; hash what is not known yet, once:
    // - an uncompressed blob's digest is its diff ID: the diff ID's hash checks both, so the
    //   store's own verifying read would hash every byte a second time;
    // - a blob the store hashed as it wrote it moments ago (this pull or load) is verified already,
    //   and so is the diff ID of such a blob when it is uncompressed.
    const plain = layerCompression(layer.mediaType) === 'none' && layer.digest === layer.diffId;
    const fresh = this.deps.content.freshlyWritten(layer.digest);
    const raw = plain || fresh ? this.deps.content.rawStream(layer.digest) : await this.deps.content.readStream(layer.digest);
    await this.apply(chainId, parent, layer, raw, !(plain && fresh));
  }

  /**
   * Makes `early` (the blob unpacked while its archive streamed) the layer `chainId` when its
   * uncompressed bytes hashed to the diff ID; false when it did not (the caller unpacks from the
   * store, which reports the mismatch) or could not be placed.
   */
  private async adopt(chainId: Digest, parent: Digest | null, layer: LayerBlobRef, early: AheadLayer | undefined): Promise<boolean> {
    if (!early) return false;
    if (early.diffId !== layer.diffId) {
      await early.layer.discard();
      return false;
    }
    const snapshotId = digestHex(chainId);
    if (await this.deps.snapshotter.hasLayer(snapshotId)) await this.deps.snapshotter.removeLayer(snapshotId);
    try {
      await early.layer.adopt(snapshotId, parent ? digestHex(parent) : null);
    } catch (err) {
      this.deps.log.warn({ err, layer: layer.digest }, 'a layer unpacked during the load could not be placed; unpacking it again from the store');
      return false;
    }
    await this.deps.layers.put({ chainId, diffId: layer.diffId, parent, size: early.layer.size, snapshotId });
    this.deps.log.debug({ layer: layer.digest }, 'layer unpacked while its archive streamed');
    return true;
  }

  /**
   * Unpacks `raw` (the layer's blob) as the layer `chainId`, checks the uncompressed bytes against
   * the diff ID when `hashDiff`, waits for `verified` (the blob's own check, when someone else
   * makes it), and only then records the layer. Any failure removes what was unpacked.
   */
  private async apply(chainId: Digest, parent: Digest | null, layer: LayerBlobRef, raw: Readable, hashDiff: boolean, verified?: Promise<unknown>): Promise<void> {
    const failures: unknown[] = [];
    // Before any await: a download's feed may fail at once, and its error must be heard.
    raw.on('error', (e) => failures.push(e));
    const snapshotId = digestHex(chainId);
    if (await this.deps.snapshotter.hasLayer(snapshotId)) await this.deps.snapshotter.removeLayer(snapshotId);
    if (raw.destroyed) throw failures[0] ?? new Error(`the blob of layer ${layer.digest} closed before it was unpacked`);
    const kind = layerCompression(layer.mediaType);
    if (kind === undefined) throw new NotImplementedError(`layer media type "${layer.mediaType}" is not supported`);
    const { tar, stream: tee, diffId } = uncompressedLayer(raw, kind, hashDiff);
    tar.on('error', (e) => failures.push(e));
    let size: number;
    try {
      ({ size } = await this.deps.snapshotter.createLayer(snapshotId, parent ? digestHex(parent) : null, tee));
      await drainLayer(tee);
      await verified;
    } catch (err) {
      // A feed still being written must not wait for a reader that has stopped.
      raw.destroy();
      await this.deps.snapshotter.removeLayer(snapshotId).catch(() => undefined);
      throw failures[0] ?? err;
    }
    const actual = diffId() ?? layer.diffId;
    if (failures.length > 0 || actual !== layer.diffId) {
      await this.deps.snapshotter.removeLayer(snapshotId);
      if (failures.length > 0) throw failures[0];
      throw new InvalidParameterError(`layer ${layer.digest} does not match its diff ID: expected ${layer.diffId}, got ${actual}; the image is corrupt and was not stored`);
    }
    await this.deps.layers.put({ chainId, diffId: layer.diffId, parent, size, snapshotId });
  }
}
