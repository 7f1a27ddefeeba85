import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isoToNs, nowNs } from './cri-time.js';

describe('CRI timestamps', () => {
  it('keep every nanosecond of an RFC 3339 time, past 2^53', () => {
    assert.equal(isoToNs('2024-01-02T03:04:05.123456789Z'), '1704164645123456789');
    assert.equal(isoToNs('2024-01-02T03:04:05Z'), '1704164645000000000');
    assert.equal(isoToNs('2024-01-02T03:04:05.5+01:00'), '1704161045500000000');
  });

  it('read docker\'s zero time and nonsense as 0 (not set)', () => {
    assert.equal(isoToNs('0001-01-01T00:00:00Z'), '0');
    assert.equal(isoToNs(''), '0');
    assert.equal(isoToNs('yesterday'), '0');
  });

  it('now is within a millisecond of the clock', () => {
    const ms = Number(BigInt(nowNs()) / 1_000_000n);
    assert.ok(Math.abs(ms - Date.now()) < 1000);
  });
});
