import type { Digest } from '../../../core/digest.js';

/**
 * One operation's share of ImageService.leases. The service keeps a plain set, not counts, so a
 * digest another operation leased already is left for that operation to release.
 */
export class LeaseSet {
  private readonly mine = new Set<Digest>();

  constructor(private readonly shared: Set<Digest>) {}

  add(digest: Digest): void {
    if (this.shared.has(digest)) return;
    this.shared.add(digest);
    this.mine.add(digest);
  }

  release(): void {
    for (const d of this.mine) this.shared.delete(d);
    this.mine.clear();
  }
}
