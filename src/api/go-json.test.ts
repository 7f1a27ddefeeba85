import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFieldCase } from './go-json.js';

test('goFieldCase: renames case variants of known fields, the exact name wins, unknown keys stay', () => {
  const fields = ['CpuRealtimePeriod', 'DetachKeys', 'Tty'];
  assert.deepEqual(goFieldCase({ CPURealtimePeriod: 1000, detachKeys: 'ctrl-x', Other: 1 }, fields), { CpuRealtimePeriod: 1000, DetachKeys: 'ctrl-x', Other: 1 });
  assert.deepEqual(goFieldCase({ tty: false, Tty: true }, fields), { Tty: true });
  assert.deepEqual(goFieldCase({ Tty: true, TTY: false }, fields), { Tty: true });
});
