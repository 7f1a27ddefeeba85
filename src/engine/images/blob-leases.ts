import type { Digest } from '../../core/digest.js';

/**
 * Blobs that operations in flight (load, import, commit, pull, push) still need, counted: a blob
 * two operations lease stays leased until both have released it, and garbage collection keeps it.
 */
export class BlobLeases implements Iterable<Digest> {
  private readonly counts = new Map<Digest, number>();

  acquire(digest: Digest): void {
    this.counts.set(digest, (this.counts.get(digest) ?? 0) + 1);
  }

  release(digest: Digest): void {
    const n = (this.counts.get(digest) ?? 0) - 1;
    if (n > 0) this.counts.set(digest, n);
    else this.counts.delete(digest);
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
