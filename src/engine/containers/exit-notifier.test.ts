import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitNotifier } from './exit-notifier.js';

test('ExitNotifier: exits release all but removed waiters; removal releases the rest; a cancelled wait is forgotten', async () => {
  const n = new ExitNotifier();
  const running = n.add('a', 'not-running');
  const next = n.add('a', 'next-exit');
  const removed = n.add('a', 'removed');
  const other = n.watch('b', 'next-exit');
  const gone = n.watch('a', 'next-exit');
  gone.cancel();
  assert.equal(n.count('a'), 3);
  n.exited('a', 3);
  assert.equal(await running, 3);
  assert.equal(await next, 3);
  assert.equal(n.count('a'), 1, 'the removed waiter stays');
  n.removed('a', 3);
  assert.equal(await removed, 3);
  assert.equal(n.count('a'), 0);
  assert.equal(n.count('b'), 1);
  other.cancel();
  assert.equal(n.count('b'), 0, 'nothing is kept for a container nobody waits on');
  const settled = await Promise.race([gone.done.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 20))]);
  assert.equal(settled, 'pending', 'a cancelled wait never resolves');
});
