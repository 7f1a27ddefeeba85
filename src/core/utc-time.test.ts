import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpDate, isoTime } from './utc-time.js';

test('the same text as Date.prototype.toISOString, for now, epochs and edge years', () => {
  const times = [0, Date.now(), 1_700_000_000_123, -1, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001, Date.UTC(2024, 1, 29, 23, 59, 59, 9)];
  for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
  assert.equal(isoTime(new Date(86_400_000)), '1970-01-02T00:00:00.000Z');
  assert.match(isoTime(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('an invalid date throws as toISOString does', () => {
  assert.throws(() => isoTime(Number.NaN), RangeError);
});

test('an HTTP date is what toUTCString writes', () => {
  for (const t of [0, Date.now(), 1_700_000_000_123, Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2026, 10, 28, 6, 4, 5)]) assert.equal(httpDate(t), new Date(t).toUTCString(), String(t));
  assert.equal(httpDate(Date.UTC(2026, 10, 28, 6, 44, 27)), 'Sat, 28 Nov 2026 06:44:27 GMT');
});
