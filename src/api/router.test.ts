import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.js';

// The answers find-my-way 9 gave for these paths (with ignoreTrailingSlash, caseSensitive and
// maxParamLength 2048), which Berth's API relied on before it had a router of its own.
const router = new Router<string>();
for (const [method, pattern] of [
  ['GET', '/containers/json'],
  ['GET', '/containers/:id/json'],
  ['POST', '/containers/:id/start'],
  ['GET', '/images/*'],
  ['GET', '/images/json'],
  ['GET', '/_ping'],
  ['GET', '/networks/:id'],
  ['GET', '/networks'],
  ['DELETE', '/containers/:id'],
] as const) router.add(method, pattern, pattern);

const find = (path: string, method = 'GET'): [string, Record<string, string>] | null => {
  const m = router.find(method, path);
  return m ? [m.value, m.params] : null;
};

test('a static segment wins over a param, a param over the wildcard', () => {
  assert.deepEqual(find('/containers/json'), ['/containers/json', {}]);
  assert.deepEqual(find('/containers/abc/json'), ['/containers/:id/json', { id: 'abc' }]);
  assert.deepEqual(find('/images/json'), ['/images/json', {}]);
  assert.deepEqual(find('/images/busybox/json'), ['/images/*', { '*': 'busybox/json' }]);
  assert.deepEqual(find('/images/localhost:5000/foo/json'), ['/images/*', { '*': 'localhost:5000/foo/json' }]);
  assert.deepEqual(find('/networks/x'), ['/networks/:id', { id: 'x' }]);
});

test('a static branch that leads nowhere falls back to the param', () => {
  // "json" is a static child of /containers, but /containers/json/start only exists as :id.
  assert.deepEqual(find('/containers/json/start', 'POST'), ['/containers/:id/start', { id: 'json' }]);
  assert.equal(find('/containers/json/x'), null);
});

test('one trailing slash is ignored; case and doubled slashes are not', () => {
  assert.deepEqual(find('/containers/json/'), ['/containers/json', {}]);
  assert.deepEqual(find('/networks/'), ['/networks', {}]);
  assert.deepEqual(find('/_ping/'), ['/_ping', {}]);
  assert.equal(find('//_ping'), null);
  assert.equal(find('/Containers/json'), null);
  assert.deepEqual(find('/containers//json'), ['/containers/:id/json', { id: '' }]);
});

test('params are percent-decoded, an encoded slash stays in its segment, bad encodings match nothing', () => {
  assert.deepEqual(find('/containers/a%20b/json'), ['/containers/:id/json', { id: 'a b' }]);
  assert.deepEqual(find('/containers/a%2Fb/json'), ['/containers/:id/json', { id: 'a/b' }]);
  assert.deepEqual(find('/containers/a+b/json'), ['/containers/:id/json', { id: 'a+b' }]);
  assert.deepEqual(find('/images/local%3A5000%2Ffoo/json'), ['/images/*', { '*': 'local:5000/foo/json' }]);
  assert.deepEqual(find('/images/a%25b/json'), ['/images/*', { '*': 'a%b/json' }]);
  assert.equal(find('/containers/%zz/json'), null);
});

test('the wildcard needs something to match; methods are separate; overlong params are refused', () => {
  assert.equal(find('/images/'), null);
  assert.equal(find('/images'), null);
  assert.deepEqual(find('/containers/abc', 'DELETE'), ['/containers/:id', { id: 'abc' }]);
  assert.equal(find('/containers/abc', 'GET'), null);
  assert.equal(find('/_ping', 'PUT'), null);
  assert.equal(find(`/containers/${'a'.repeat(3000)}/json`), null);
  assert.equal(find('relative'), null);
});

test('a pattern defined twice, or a wildcard before the end, is a programming error', () => {
  const r = new Router<number>();
  r.add('GET', '/a/:x', 1);
  assert.throws(() => r.add('GET', '/a/:y', 2), /route GET \/a\/:y is defined twice/);
  assert.throws(() => r.add('GET', '/b/*/c', 3), /\* must be the last segment/);
});
