import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phaseTimer } from './phase-timer.js';

test('phases are milliseconds since the timer began, in order, to a tenth', async () => {
  const t = phaseTimer();
  t.mark('a');
  await new Promise((r) => setTimeout(r, 20));
  t.mark('b');
  const { a, b } = t.phases;
  assert.ok(a !== undefined && b !== undefined);
  assert.ok(a >= 0 && a < 5, `a=${a}`);
  assert.ok(b >= 19 && b < 1000, `b=${b}`);
  assert.equal(Math.round(b * 10), b * 10);
});
