import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { settleAll } from './settle-all.js';

test('settleAll waits for the slow tasks before it throws the first failure', async () => {
  let slowDone = false;
  const slow = delay(30).then(() => {
    slowDone = true;
  });
  await assert.rejects(settleAll([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))]), /first/);
  assert.equal(slowDone, true);
});

test('settleAll resolves when every task does', async () => {
  const order: number[] = [];
  await settleAll([delay(10).then(() => order.push(2)), Promise.resolve().then(() => order.push(1))]);
  assert.deepEqual(order.sort(), [1, 2]);
});
