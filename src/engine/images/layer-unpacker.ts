import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { chainIds, digestHex, type Digest } from '../../core/digest.js';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import type { LayerBlobRef } from '../../store/metadata/image-store.js';
import { decompressor } from '../../core/compression.js';
import { layerCompression } from './archive/compression.js';
import type { ImageDeps } from './image-catalog.js';

/**
 * Unpacks each layer once, keyed by chain ID, verifying while it streams that the
 * uncompressed bytes hash to the diff ID the image config promises.
 */
export class LayerUnpacker {
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(private readonly deps: Pick<ImageDeps, 'content' | 'layers' | 'snapshotter' | 'log'>) {}

  /** Chain IDs of layers being unpacked right now. */
  inflightIds(): Set<string> {
    return new Set(this.inflight.keys());
  }

  async ensureLayers(layers: readonly LayerBlobRef[]): Promise<Digest[]> {
    const chains = chainIds(layers.map((l) => l.diffId));
    for (let i = 0; i < layers.length; i++) {
      const chainId = chains[i] as Digest;
      const parent = i > 0 ? (chains[i - 1] as Digest) : null;
      const layer = layers[i] as LayerBlobRef;
      const joined = this.inflight.get(chainId);
      if (joined) {
        // Another image's blob with the same diff ID is being unpacked. If that blob was bad (a
        // corrupt or differently compressed copy), its failure is not this image's: use our own.
        const ok = await joined.then(() => true, () => false);
        if (ok) continue;
      }
      await this.unpackOnce(chainId, parent, layer);
    }
    return chains;
  }

  /** ensureOne, shared with concurrent callers of the same chain ID. */
  private async unpackOnce(chainId: Digest, parent: Digest | null, layer: LayerBlobRef): Promise<void> {
    let job = this.inflight.get(chainId);
    if (!job) {
      job = this.ensureOne(chainId, parent, layer).finally(() => this.inflight.delete(chainId));
      this.inflight.set(chainId, job);
    }
    await job;
  }

  private async ensureOne(chainId: Digest, parent: Digest | null, layer: LayerBlobRef): Promise<void> {
    const snapshotId = digestHex(chainId);
    const existing = await this.deps.layers.get(chainId);
    if (existing && (await this.deps.snapshotter.hasLayer(existing.snapshotId))) return;
    if (await this.deps.snapshotter.hasLayer(snapshotId)) await this.deps.snapshotter.removeLayer(snapshotId);
    // Each hash of a 200 MB layer costs half a second here; hash what is not known yet, once:
    // - an uncompressed blob's digest is its diff ID: the diff ID's hash checks both, so the
    //   store's own verifying read would hash every byte a second time;
    // - a blob the store hashed as it wrote it moments ago (this pull or load) is verified already,
    //   and so is the diff ID of such a blob when it is uncompressed.
    const plain = layerCompression(layer.mediaType) === 'none' && layer.digest === layer.diffId;
    const fresh = this.deps.content.freshlyWritten(layer.digest);
    const raw = plain || fresh ? this.deps.content.rawStream(layer.digest) : await this.deps.content.readStream(layer.digest);
    const tar = decompress(raw, layer.mediaType);
    const hash = plain && fresh ? undefined : createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash?.update(chunk);
        cb(null, chunk);
      },
    });
    const failures: unknown[] = [];
    const tee = tar.pipe(hasher);
    // pipe() does not forward errors: a corrupt blob must fail the unpack, not stall it.
    for (const s of [raw, tar]) {
      s.on('error', (e) => {
        failures.push(e);
        tee.destroy(e);
      });
    }
    // The reader may have stopped listening by the time tee fails with what it was handed above
    // (a zstd frame refused at its first bytes): an unheard 'error' would end the daemon.
    tee.on('error', () => undefined);
    let size: number;
    try {
      ({ size } = await this.deps.snapshotter.createLayer(snapshotId, parent ? digestHex(parent) : null, tee));
      // The tar parser may stop at the end-of-archive marker before the stream ends; drain the
      // rest so the digest covers every byte.
      await drain(tee);
    } catch (err) {
      await this.deps.snapshotter.removeLayer(snapshotId).catch(() => undefined);
      throw failures[0] ?? err;
    }
    const actual = hash ? `sha256:${hash.digest('hex')}` : layer.diffId;
    if (failures.length > 0 || actual !== layer.diffId) {
      await this.deps.snapshotter.removeLayer(snapshotId);
      if (failures.length > 0) throw failures[0];
      throw new InvalidParameterError(`layer ${layer.digest} does not match its diff ID: expected ${layer.diffId}, got ${actual}; the image is corrupt and was not stored`);
    }
    await this.deps.layers.put({ chainId, diffId: layer.diffId, parent, size, snapshotId });
  }
}

/** Through the shared decompressor: a corrupt stream or a zstd window over its limit is InvalidParameter. */
function decompress(stream: Readable, mediaType: string): Readable {
  const kind = layerCompression(mediaType);
  if (kind === undefined) throw new NotImplementedError(`layer media type "${mediaType}" is not supported`);
  return stream.pipe(decompressor(kind));
}

async function drain(stream: Readable): Promise<void> {
  if (stream.readableEnded) return;
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.resume();
  });
}
