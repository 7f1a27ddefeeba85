import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rendezvous } from './rendezvous.js';

test('Rendezvous: a lookup gets the value now or once set; late is the given error; abort rejects and leaves no waiter', async () => {
  const r = new Rendezvous<number>(50);
  r.set('a', 1);
  assert.equal(await r.get('a', () => new Error('none')), 1);
  const waiting = r.get('b', () => new Error('none'));
  r.set('b', 2);
  assert.equal(await waiting, 2);
  await assert.rejects(r.get('c', () => new Error('c did not come')), /c did not come/);
  const abort = new AbortController();
  const aborted = r.get('d', () => new Error('none'), abort.signal);
  abort.abort(new Error('gone'));
  await assert.rejects(aborted, /gone/);
  r.set('d', 4);
  assert.equal(r.peek('d'), 4);
  r.delete('d', 5);
  assert.equal(r.peek('d'), 4, 'a newer value stays');
  r.delete('d', 4);
  assert.equal(r.peek('d'), undefined);
});
