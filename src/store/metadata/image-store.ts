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

export class ImageStore {
  private readonly records: JsonRecordDir<ImageRecord>;

  constructor(dir: string) {
    this.records = new JsonRecordDir(dir);
  }

  init(): Promise<void> {
    return this.records.init();
  }

  get(id: Digest): Promise<ImageRecord | undefined> {
    return this.records.get(digestHex(id));
  }

  has(id: Digest): Promise<boolean> {
    return this.records.has(digestHex(id));
  }

  put(record: ImageRecord): Promise<void> {
    return this.records.put(digestHex(record.id), record);
  }

  /** put, for a change the old record is as good without after a crash (LastTagTime): one fsync fewer. */
  update(record: ImageRecord): Promise<void> {
    return this.records.update(digestHex(record.id), record);
  }

  delete(id: Digest): Promise<void> {
    return this.records.delete(digestHex(id));
  }

  list(): Promise<ImageRecord[]> {
    return this.records.all();
  }
}
