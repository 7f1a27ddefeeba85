import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextExpiry, oldestFirst, oldestToFree, overRetention, resolveKept, type KeptEntry } from './retention.js';

const id = (c: string): string => c.repeat(64);
const entry = (c: string, name: string, removedAt: number, bytes = 100): KeptEntry => ({ id: id(c), name, removedAt, bytes });

describe('retention of removed containers', () => {
  // Oldest first, as the store keeps them.
  const entries = [entry('a', '/t', 1000), entry('b', '/u', 2000), entry('c', '/t', 3000)];
  const total = 300;

  it('orders by removal time, then by ID', () => {
    const shuffled = [entry('c', '/t', 3000), entry('b', '/u', 1000), entry('a', '/t', 1000)];
    assert.deepEqual(shuffled.sort(oldestFirst).map((e) => e.id), [id('a'), id('b'), id('c')]);
  });

  it('drops records older than the retention, oldest first', () => {
    assert.deepEqual(overRetention(entries, total, { keepMs: 1500, maxBytes: 1e9 }, 3600), [id('a'), id('b')]);
    assert.deepEqual(overRetention(entries, total, { keepMs: 10_000, maxBytes: 1e9 }, 3600), []);
  });

  it('drops the oldest until the rest fit the byte cap', () => {
    assert.deepEqual(overRetention(entries, total, { keepMs: 10_000, maxBytes: 250 }, 3600), [id('a')]);
    assert.deepEqual(overRetention(entries, total, { keepMs: 10_000, maxBytes: 99 }, 3600), [id('a'), id('b'), id('c')]);
  });

  it('keeps none with a retention of 0', () => {
    assert.equal(overRetention(entries, total, { keepMs: 0, maxBytes: 1e9 }, 3000).length, 3);
  });

  it('looks only at the records it drops and the first it keeps, however many are kept', () => {
    let read = 0;
    function* many(): Generator<KeptEntry> {
      for (let i = 0; i < 100_000; i++) {
        read++;
        yield entry('d', '/x', 1000 + i);
      }
    }
    // Two expired (removed at 1000 and 1001, kept 2.5 s, now 3501.5), the third kept.
    assert.equal(overRetention(many(), 100_000 * 100, { keepMs: 2500, maxBytes: 1e12 }, 3501.5).length, 2);
    assert.equal(read, 3);
    read = 0;
    assert.equal(oldestToFree(many(), 250).length, 3);
    assert.equal(read, 4);
  });

  it('frees at least the bytes asked, oldest first', () => {
    assert.deepEqual(oldestToFree(entries, 150), [id('a'), id('b')]);
    assert.deepEqual(oldestToFree(entries, 0), []);
    assert.deepEqual(oldestToFree(entries, 1e6), [id('a'), id('b'), id('c')]);
  });

  it('sets the timer for the oldest record', () => {
    assert.equal(nextExpiry(entries[0], { keepMs: 500, maxBytes: 1 }), 1500);
    assert.equal(nextExpiry(undefined, { keepMs: 500, maxBytes: 1 }), undefined);
  });
});

describe('looking up a removed container', () => {
  const entries = [entry('a', '/t', 1000), { ...entry('a', '/t', 3000), id: `ab${'0'.repeat(62)}` }, entry('b', '/u', 2000)];

  it('finds the full ID, the newest of a name (with or without the slash), a unique prefix', () => {
    assert.equal(resolveKept(entries, id('b')), entries[2]);
    assert.equal(resolveKept(entries, 't'), entries[1]);
    assert.equal(resolveKept(entries, '/t'), entries[1]);
    assert.equal(resolveKept(entries, 'bb'), entries[2]);
  });

  it('says a prefix of several IDs is ambiguous, an unknown one undefined', () => {
    assert.equal(resolveKept(entries, 'a'), 'ambiguous');
    assert.equal(resolveKept(entries, 'ff'), undefined);
    assert.equal(resolveKept(entries, 'nope'), undefined);
  });
});
