import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GRACE_MS, markBytes, parseBudget, parseBudgetFlag, parseMark } from './budget-marks.js';

describe('storage budget marks', () => {
  it('reads percentages and sizes (decimal XB, binary XiB)', () => {
    assert.deepEqual(parseMark('80%', 'high'), { percent: 80 });
    assert.deepEqual(parseMark('12.5 %', 'high'), { percent: 12.5 });
    assert.deepEqual(parseMark('20GB', 'high'), { bytes: 20e9 });
    assert.deepEqual(parseMark('15GiB', 'low'), { bytes: 15 * 1024 ** 3 });
    assert.deepEqual(parseMark('300m', 'low'), { bytes: 300e6 });
    assert.deepEqual(parseMark('1234', 'low'), { bytes: 1234 });
  });

  it('refuses nonsense with the value and what to write', () => {
    assert.throws(() => parseMark('120%', 'high'), /storage-budget high "120%": a percentage must be between 0 and 100/);
    assert.throws(() => parseMark('lots', 'low'), /storage-budget low "lots": use a percentage .*\(80%\) or a size \(20GB, 15GiB\)/);
    assert.throws(() => parseMark('0GB', 'low'), /more than 0/);
  });

  it('wants low below high, both of one kind, and both present', () => {
    assert.throws(() => parseBudget({ high: '70%', low: '80%' }), /the low mark "80%" must be below the high mark "70%"/);
    assert.throws(() => parseBudget({ high: '70%', low: '70%' }), /must be below/);
    assert.throws(() => parseBudget({ high: '20GB', low: '70%' }), /must both be percentages or both sizes/);
    assert.throws(() => parseBudget({ high: '20GB' }), /both high and low marks are needed/);
    assert.throws(() => parseBudget({ high: '20GB', low: '1GB', hi: '1' }), /invalid storage-budget key "hi"/);
  });

  it('has a grace period of 10 minutes unless set', () => {
    assert.equal(parseBudget({ high: '80%', low: '70%' }).graceMs, DEFAULT_GRACE_MS);
    assert.equal(DEFAULT_GRACE_MS, 600_000);
    assert.equal(parseBudget({ high: '80%', low: '70%', grace: '30s' }).graceMs, 30_000);
    assert.throws(() => parseBudget({ high: '80%', low: '70%', grace: 'soon' }), /grace "soon"/);
  });

  it('reads the berthd flag form', () => {
    assert.deepEqual(parseBudgetFlag('high=20GB,low=15GB'), { high: { bytes: 20e9 }, low: { bytes: 15e9 }, graceMs: DEFAULT_GRACE_MS });
    assert.throws(() => parseBudgetFlag('80%'), /use high=80%,low=70%/);
  });

  it('turns a percentage into bytes of the filesystem, a size into itself', () => {
    assert.equal(markBytes({ percent: 50 }, 1000), 500);
    assert.equal(markBytes({ bytes: 42 }, 1000), 42);
  });
});
