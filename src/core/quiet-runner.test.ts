import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuietRunner } from './idle-trimmer.js';

test('QuietRunner: runs once after a quiet spell that followed activity; new activity postpones it; no activity, no run', async () => {
  let runs = 0;
  const q = new QuietRunner(() => runs++, 30);
  q.idle();
  await sleep(60);
  assert.equal(runs, 0, 'nothing happened: nothing to do');
  q.busy();
  q.idle();
  await sleep(10);
  q.busy();
  q.idle();
  await sleep(15);
  assert.equal(runs, 0, 'activity within the quiet spell postpones the run');
  await sleep(40);
  assert.equal(runs, 1);
  q.idle();
  await sleep(60);
  assert.equal(runs, 1, 'once per burst');
});
