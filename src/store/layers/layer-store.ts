import { digestHex, type Digest } from '../../core/digest.js';
import { JsonRecordDir } from '../metadata/json-record-dir.js';

/** A layer unpacked by the snapshotter, keyed by chain ID (the layer together with its parents). */
export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Unpacked size of this layer alone, in bytes. */
  size: number;
  /** The snapshotter's ID for this layer. */
  snapshotId: string;
}

export class LayerStore {
  private readonly records: JsonRecordDir<LayerRecord>;

  constructor(dir: string) {
    this.records = new JsonRecordDir(dir);
  }

  init(): Promise<void> {
    return this.records.init();
  }

  get(chainId: Digest): Promise<LayerRecord | undefined> {
    return this.records.get(digestHex(chainId));
  }

  put(record: LayerRecord): Promise<void> {
    return this.records.put(digestHex(record.chainId), record);
  }

  delete(chainId: Digest): Promise<void> {
    return this.records.delete(digestHex(chainId));
  }

  list(): Promise<LayerRecord[]> {
    return this.records.all();
  }
}
