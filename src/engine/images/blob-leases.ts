import type { Digest } from '../../core/digest.js';

/**
 * Blobs that operations in flight (load, import, commit, pull, push) still need, counted: a blob
 * two operations lease stays leased until both have released it, and garbage collection keeps it.
 */
export class BlobLeases implements Iterable<Digest> {
  private readonly counts = new Map<Digest, number>();
  private collecting = 0;
  private readonly deferred: Digest[] = [];

  acquire(digest: Digest): void {
    this.counts.set(digest, (this.counts.get(digest) ?? 0) + 1);
  }

  /**
   * Ends one lease. While a collection runs, leases end only when it is done: an operation that
   * stored its image record after the collection read the records, then released its leases, must
   * not see its blobs taken by that collection.
   */
  release(digest: Digest): void {
    if (this.collecting > 0) {
      this.deferred.push(digest);
      return;
    }
    const n = (this.counts.get(digest) ?? 0) - 1;
    if (n > 0) this.counts.set(digest, n);
    else this.counts.delete(digest);
  }

  /** Runs a garbage collection: every lease held at any moment of it holds to its end. */
  async collect<T>(fn: () => Promise<T>): Promise<T> {
    this.collecting++;
    try {
      return await fn();
    } finally {
      if (--this.collecting === 0) for (const d of this.deferred.splice(0)) this.release(d);
    }
  }

  has(digest: Digest): boolean {
    return this.counts.has(digest);
  }

  /** Distinct blobs leased. */
  get size(): number {
    return this.counts.size;
  }

  [Symbol.iterator](): Iterator<Digest> {
    return this.counts.keys();
  }
}
