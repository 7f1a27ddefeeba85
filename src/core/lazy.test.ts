import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lazy } from './lazy.js';

test('the value is made once, on first use, however many callers wait for it', async () => {
  let made = 0;
  const get = lazy(async () => ({ n: ++made }));
  assert.equal(made, 0);
  const [a, b] = await Promise.all([get(), get()]);
  assert.equal(made, 1);
  assert.equal(a, b);
  assert.equal(await get(), a);
});

test('a failed attempt is not kept: the next call tries again', async () => {
  let tries = 0;
  const get = lazy(async () => {
    if (++tries === 1) throw new Error('chunk missing');
    return tries;
  });
  await assert.rejects(get(), /chunk missing/);
  assert.equal(await get(), 2);
  assert.equal(await get(), 2);
});
