import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { eventOrClose } from './event-or-close.js';

test('eventOrClose resolves on the event or on close, and leaves no listener', async () => {
  const s = new PassThrough({ highWaterMark: 4 });
  assert.equal(s.write(Buffer.alloc(16)), false);
  const drained = eventOrClose(s, 'drain');
  s.resume();
  await drained;
  assert.equal(s.listenerCount('drain'), 0);
  assert.equal(s.listenerCount('close'), 0);
  const t = new PassThrough({ highWaterMark: 4 });
  t.write(Buffer.alloc(16));
  const gone = eventOrClose(t, 'drain');
  t.destroy();
  await gone;
  assert.equal(t.listenerCount('drain'), 0);
});
