import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../../core/errors.js';
import { RequestCache } from './request-cache.js';

test('a token is 8 URL-safe characters and can be used once', () => {
  const c = new RequestCache<string>();
  const t = c.insert('exec');
  assert.match(t, /^[A-Za-z0-9_-]{8}$/);
  assert.equal(c.consume(t), 'exec');
  assert.equal(c.consume(t), undefined);
  assert.equal(c.consume('nope'), undefined);
});

test('a token expires after the TTL and is collected by the next insert', () => {
  let now = 1000;
  const c = new RequestCache<number>(60_000, 10, () => now);
  const a = c.insert(1);
  now += 60_000;
  const b = c.insert(2);
  assert.equal(c.consume(a), 1, 'still valid at exactly the TTL, as the kubelet (expired only After)');
  now += 1;
  assert.equal(c.consume(b), 2);
  const d = c.insert(3);
  now += 60_001;
  assert.equal(c.consume(d), undefined, 'expired');
  c.insert(4);
  assert.equal(c.size, 1, 'expired entries collected');
});

test('at most maxInFlight tokens wait at once', () => {
  const c = new RequestCache<number>(60_000, 2);
  c.insert(1);
  c.insert(2);
  assert.throws(() => c.insert(3), (err: unknown) => err instanceof UnavailableError && /too many streaming requests in flight \(2\)/.test(err.message));
});
