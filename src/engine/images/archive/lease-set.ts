import type { Digest } from '../../../core/digest.js';
import type { BlobLeases } from '../blob-leases.js';

/** One operation's share of ImageService.leases: each blob acquired once, all released together. */
export class LeaseSet {
  private readonly mine = new Set<Digest>();

  constructor(private readonly shared: BlobLeases) {}

  add(digest: Digest): void {
    if (this.mine.has(digest)) return;
    this.shared.acquire(digest);
    this.mine.add(digest);
  }

  release(): void {
    for (const d of this.mine) this.shared.release(d);
    this.mine.clear();
  }
}
