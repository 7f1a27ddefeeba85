import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memSwapBytes, parseGoDuration, parseIntFlag, parseNanoCpus, parseUlimit, ramInBytes } from './run-units.js';

test('ramInBytes: binary suffixes, any case, optional b/ib', () => {
  assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('1G'), 1024 ** 3);
  assert.equal(ramInBytes('64k'), 65536);
  assert.equal(ramInBytes('64kb'), 65536);
  assert.equal(ramInBytes('64KiB'), 65536);
  assert.equal(ramInBytes('2t'), 2 * 1024 ** 4);
  assert.equal(ramInBytes('1p'), 1024 ** 5);
});

test('ramInBytes: plain numbers, bytes suffix, fractions, a space before the unit', () => {
  assert.equal(ramInBytes('32'), 32);
  assert.equal(ramInBytes('32b'), 32);
  assert.equal(ramInBytes('1.5m'), 1.5 * 1024 * 1024);
  assert.equal(ramInBytes('0.5k'), 512);
  assert.equal(ramInBytes('10 MB'), 10 * 1024 * 1024);
});

test('ramInBytes: refuses what go-units refuses, with its messages', () => {
  assert.throws(() => ramInBytes('12x'), /invalid suffix: 'x'/);
  assert.throws(() => ramInBytes('m'), /invalid size: 'm'/);
  assert.throws(() => ramInBytes(''), /invalid size/);
  assert.throws(() => ramInBytes('1mx'), /invalid suffix: 'mx'/);
  assert.throws(() => ramInBytes('1bb'), /invalid suffix/);
  assert.throws(() => ramInBytes('1kibb'), /invalid suffix/);
  assert.throws(() => ramInBytes('-1'), /invalid size/);
});

test('memSwapBytes: -1 is unlimited', () => {
  assert.equal(memSwapBytes('-1'), -1);
  assert.equal(memSwapBytes('1g'), 1024 ** 3);
});

test('parseNanoCpus: decimal CPUs to NanoCpus', () => {
  assert.equal(parseNanoCpus('1.5'), 1_500_000_000);
  assert.equal(parseNanoCpus('2'), 2_000_000_000);
  assert.equal(parseNanoCpus('0.001'), 1_000_000);
  assert.equal(parseNanoCpus('.5'), 500_000_000);
  assert.equal(parseNanoCpus('0.000000001'), 1);
  assert.throws(() => parseNanoCpus('0.0000000001'), /value is too precise/);
  assert.throws(() => parseNanoCpus('abc'), /failed to parse abc as a rational number/);
});

test('parseGoDuration: Go time.ParseDuration in nanoseconds', () => {
  assert.equal(parseGoDuration('30s'), 30e9);
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('300ms'), 300e6);
  assert.equal(parseGoDuration('10us'), 10e3);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-2s'), -2e9);
  assert.throws(() => parseGoDuration('10'), /missing unit in duration "10"/);
  assert.throws(() => parseGoDuration('abc'), /invalid duration "abc"/);
  assert.throws(() => parseGoDuration(''), /invalid duration/);
});

test('parseUlimit: name=soft[:hard]', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=512'), { Name: 'nproc', Soft: 512, Hard: 512 });
  assert.deepEqual(parseUlimit('core=-1'), { Name: 'core', Soft: -1, Hard: -1 });
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument/);
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=2048:1024'), /soft limit must be less than or equal to hard limit/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments/);
});

test('parseIntFlag: strconv wording for non-integers', () => {
  assert.equal(parseIntFlag('--pids-limit', '-1'), -1);
  assert.equal(parseIntFlag('-c, --cpu-shares', '512'), 512);
  assert.throws(() => parseIntFlag('--pids-limit', '1.5'), /invalid argument "1.5" for "--pids-limit" flag: strconv.ParseInt: parsing "1.5": invalid syntax/);
});
