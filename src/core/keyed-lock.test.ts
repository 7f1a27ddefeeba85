import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from './keyed-lock.js';

test('tasks of one key run one at a time in order, other keys alongside, a failure does not block', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const task = (name: string, ms: number, fail = false) => async (): Promise<string> => {
    log.push(`${name}+`);
    await sleep(ms);
    log.push(`${name}-`);
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([lock.run('a', task('a1', 30, true)), lock.run('a', task('a2', 1)), lock.run('b', task('b1', 5))]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled']);
  assert.deepEqual(log, ['a1+', 'b1+', 'b1-', 'a1-', 'a2+', 'a2-']);
});
