import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pruneFilterCutoff, selectPrune, untilCutoff } from './build-usage.js';
import type { UsageRecord } from './solve-spec.js';

function rec(id: string, size: number, at: number, over: Partial<UsageRecord> = {}): UsageRecord {
  return { id, mutable: false, inUse: false, size, parents: [], createdAt: new Date(at), lastUsedAt: null, usageCount: 1, description: id, recordType: 'regular', shared: false, ...over };
}

describe('build cache prune selection', () => {
  it('takes the oldest first until what is left fits in keepBytes', () => {
    const records = [rec('new', 5, 3000), rec('old', 5, 1000), rec('mid', 5, 2000)];
    assert.deepEqual(selectPrune(records, { keepBytes: 6 }).map((r) => r.id), ['old', 'mid']);
    assert.deepEqual(selectPrune(records, { keepBytes: 15 }).map((r) => r.id), []);
    assert.deepEqual(selectPrune(records, { keepBytes: 0 }).map((r) => r.id), ['old', 'mid', 'new']);
  });

  it('never takes a record in use, a shared one (the images\' own), or a parent before its children', () => {
    const records = [rec('used', 5, 1, { inUse: true }), rec('shared', 5, 2, { shared: true }), rec('parent', 5, 3), rec('child', 5, 4, { parents: ['parent'] })];
    assert.deepEqual(selectPrune(records, { keepBytes: 0 }).map((r) => r.id), ['child']);
  });

  it('keeps what was used after the time bound (a cache mount by its last use)', () => {
    const records = [rec('old', 5, 1000), rec('fresh', 5, 5000), rec('mount', 5, 1000, { lastUsedAt: new Date(6000), recordType: 'exec.cachemount' })];
    assert.deepEqual(selectPrune(records, { keepBytes: 0, usedAfter: 4000 }).map((r) => r.id), ['old']);
  });

  it('reads until as a Go duration, a timestamp or unix seconds', () => {
    assert.equal(untilCutoff('1h', 10_000_000), 10_000_000 - 3_600_000);
    assert.equal(untilCutoff('1h30m', 10_000_000), 10_000_000 - 5_400_000);
    assert.equal(untilCutoff('1700000000', 0), 1_700_000_000_000);
    assert.equal(untilCutoff('2024-01-02T03:04:05Z', 0), Date.parse('2024-01-02T03:04:05Z'));
    assert.throws(() => untilCutoff('soon'), /invalid filter 'until=soon'/);
  });

  it('takes until from the filters and refuses the others by name', () => {
    assert.equal(pruneFilterCutoff(['until=10m'], 1_000_000), 400_000);
    assert.equal(pruneFilterCutoff([]), undefined);
    assert.throws(() => pruneFilterCutoff(['type=regular']), /--filter type=regular is not supported/);
  });
});
