import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { IdleTrimmer } from './idle-trimmer.js';

/** A trimmer on a clock the test moves, with its timers mocked. */
function rig(t: TestContext, start: number): { trimmer: IdleTrimmer; runs: () => number; advance: (ms: number) => void } {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = start;
  let runs = 0;
  return {
    trimmer: new IdleTrimmer(() => runs++, 1000, () => clock),
    runs: () => runs,
    advance: (ms) => {
      clock += ms;
      t.mock.timers.tick(ms);
    },
  };
}

test('idle runs the trim once, right after; another idle within the gap waits for it', async (t) => {
  const { trimmer, runs, advance } = rig(t, 1000);
  trimmer.idle();
  trimmer.idle(); // one pending run is enough
  await tick();
  assert.equal(runs(), 1);
  advance(200);
  trimmer.idle();
  await tick();
  assert.equal(runs(), 1, 'not again within the gap');
  advance(800);
  assert.equal(runs(), 2, 'when the gap has passed');
});

test('new work cancels a run that waits; the next idle asks again', async (t) => {
  const { trimmer, runs, advance } = rig(t, 0);
  trimmer.idle();
  trimmer.busy(); // before the immediate ran
  await tick();
  assert.equal(runs(), 0);
  trimmer.idle();
  await tick();
  assert.equal(runs(), 1);
  advance(100);
  trimmer.idle();
  trimmer.busy();
  advance(1000);
  assert.equal(runs(), 1, 'the waiting run was cancelled');
  trimmer.idle();
  await tick();
  assert.equal(runs(), 2);
});
