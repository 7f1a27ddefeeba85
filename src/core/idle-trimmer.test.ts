import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { HeapCompactor, IdleTrimmer } from './idle-trimmer.js';

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

test('HeapCompactor: only after growth; at most once a gap, then once the gap is over; busy cancels the wait', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  let heap = 10;
  let runs = 0;
  const c = new HeapCompactor(() => {
    runs++;
    heap = 12; // what the compaction leaves
  }, () => heap, 16, 60_000, () => clock);
  const advance = (ms: number): void => {
    clock += ms;
    t.mock.timers.tick(ms);
  };
  c.maybeCompact();
  assert.equal(runs, 0, 'a heap of 10 has not grown by 16');
  heap = 40;
  c.maybeCompact();
  assert.equal(runs, 1, 'grown by 30 since nothing was compacted');
  heap = 20;
  c.maybeCompact();
  assert.equal(runs, 1, 'grown by 8 since the last: not worth one');
  heap = 50;
  advance(10_000);
  c.maybeCompact();
  assert.equal(runs, 1, 'within the gap: waits');
  advance(50_000);
  assert.equal(runs, 2, 'once the gap is over');
  heap = 60;
  advance(1_000);
  c.maybeCompact();
  c.busy();
  advance(60_000);
  assert.equal(runs, 2, 'work came back: the waiting run is off');
  c.maybeCompact();
  assert.equal(runs, 3, 'the next quiet time, past the gap');
});
