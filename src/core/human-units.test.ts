import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goTimeString, humanDuration, humanSize, truncateId } from './human-units.js';

test('humanSize matches docker units.HumanSizeWithPrecision(…, 3)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1234), '1.23kB');
  assert.equal(humanSize(4_261_234), '4.26MB');
  assert.equal(humanSize(100_000), '100kB');
  assert.equal(humanSize(1_000_000), '1MB');
  assert.equal(humanSize(77_800_000), '77.8MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
});

test('humanDuration matches docker units.HumanDuration', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(45_000), '45 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 24 * 3_600_000), '3 days');
  assert.equal(humanDuration(21 * 24 * 3_600_000), '3 weeks');
  assert.equal(humanDuration(90 * 24 * 3_600_000), '3 months');
  assert.equal(humanDuration(3 * 365 * 24 * 3_600_000), '3 years');
});

test('goTimeString and truncateId', () => {
  assert.equal(goTimeString(0), '1970-01-01 00:00:00 +0000 UTC');
  assert.equal(truncateId('sha256:' + 'a'.repeat(64), false), 'a'.repeat(12));
  assert.equal(truncateId('sha256:' + 'a'.repeat(64), true), 'sha256:' + 'a'.repeat(64));
});
