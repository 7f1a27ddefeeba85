import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../../core/digest.js';
import { BlobLeases } from './blob-leases.js';

const A = `sha256:${'a'.repeat(64)}` as Digest;

describe('BlobLeases', () => {
  it('counts leases: a blob leased twice stays leased until both end', () => {
    const l = new BlobLeases();
    l.acquire(A);
    l.acquire(A);
    l.release(A);
    assert.equal(l.has(A), true);
    l.release(A);
    assert.equal(l.has(A), false);
  });

  it('a lease that ends while a collection runs holds until the collection is done', async () => {
    const l = new BlobLeases();
    let seenDuring: boolean | undefined;
    await l.collect(async () => {
      // An operation leased its blob, stored its image record after the collection read the
      // records, and released: the collection must still see the blob leased.
      l.acquire(A);
      l.release(A);
      await Promise.resolve();
      seenDuring = l.has(A);
    });
    assert.equal(seenDuring, true);
    assert.equal(l.has(A), false, 'released once the collection is done');
  });

  it('nested collections release at the end of the outer one, and also after a failure', async () => {
    const l = new BlobLeases();
    l.acquire(A);
    await assert.rejects(
      l.collect(async () => {
        await l.collect(async () => l.release(A));
        assert.equal(l.has(A), true);
        throw new Error('collection failed');
      }),
      /collection failed/,
    );
    assert.equal(l.has(A), false);
  });
});
