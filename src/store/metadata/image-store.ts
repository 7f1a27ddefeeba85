import { digestHex, type Digest } from '../../core/digest.js';
import { JsonRecordDir } from './json-record-dir.js';

/** Where a layer's bytes are kept in the content store. */
export interface LayerBlobRef {
  diffId: Digest;
  /** The stored blob: equal to diffId for uncompressed layers. */
  digest: Digest;
  mediaType: string;
  size: number;
}

/**
 * An image known to the daemon. Its ID is the digest of its config blob, as docker's is;
 * everything docker shows is derived from the config, the layers and the references.
 */
export interface ImageRecord {
  id: Digest;
  layers: LayerBlobRef[];
  /** When the image arrived in this store. */
  added: string;
  lastTagTime?: string;
  /** Parent image ID, for images made by commit or build. */
  parent?: Digest;
  /** Manifest digests by repository, for RepoDigests (after pull or push). */
  repoDigests?: string[];
}

/** How soon a LastTagTime refresh reaches the disk (see refreshTagTime). */
const TAG_TIME_DELAY_MS = 200;

export class ImageStore {
  private readonly records: JsonRecordDir<ImageRecord>;
  /** LastTagTime refreshes not on disk yet, by image: records read here carry them. */
  private readonly tagTimes = new Map<Digest, string>();
  private timer: NodeJS.Timeout | undefined;
  /** The pending refreshes being written; record writes and deletions queue behind it. */
  private writing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.records = new JsonRecordDir(dir);
  }

  init(): Promise<void> {
    return this.records.init();
  }

  async get(id: Digest): Promise<ImageRecord | undefined> {
    const record = await this.records.get(digestHex(id));
    return record && this.withTagTime(record);
  }

  /** Whether the record exists, without reading it. */
  has(id: Digest): Promise<boolean> {
    return this.records.has(digestHex(id));
  }

  async put(record: ImageRecord): Promise<void> {
    await this.writing;
    await this.records.put(digestHex(record.id), record);
    // The record written carries the refresh (it was read with it): nothing left to write.
    if (this.tagTimes.get(record.id) === record.lastTagTime) this.tagTimes.delete(record.id);
  }

  /**
   * Sets an image's LastTagTime (tagging it again, as dockerd refreshes it on every tag) without
   * waiting for the disk: records read here show it at once, and it is written shortly after,
   * coalesced, with the same atomic write as any record (flush, and at the daemon's stop). A
   * crash in between loses only the refresh: the record keeps its previous LastTagTime. A
   * fully cached `docker build -t` re-tags its image, and this spares it an fsync.
   */
  refreshTagTime(id: Digest, time: string): void {
    this.tagTimes.set(id, time);
    this.timer ??= setTimeout(() => void this.flush(), TAG_TIME_DELAY_MS).unref();
  }

  /** Writes the pending LastTagTime refreshes. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = [...this.tagTimes];
    this.writing = this.writing.then(async () => {
      for (const [id, time] of pending) {
        const record = await this.records.get(digestHex(id)).catch(() => undefined);
        // Deleted meanwhile (delete waits for this queue, so it cannot come between read and write).
        if (!record || this.tagTimes.get(id) !== time) continue;
        await this.records.update(digestHex(id), { ...record, lastTagTime: time }).then(
          () => {
            if (this.tagTimes.get(id) === time) this.tagTimes.delete(id);
          },
          // Kept in memory; the next refresh or flush tries again.
          () => undefined,
        );
      }
    });
    await this.writing;
  }

  async delete(id: Digest): Promise<void> {
    this.tagTimes.delete(id);
    await this.writing;
    await this.records.delete(digestHex(id));
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.records.all()).map((r) => this.withTagTime(r));
  }

  private withTagTime(record: ImageRecord): ImageRecord {
    const time = this.tagTimes.get(record.id);
    return time === undefined ? record : { ...record, lastTagTime: time };
  }
}
