import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DETACH_KEYS, DetachKeyFilter, parseDetachKeys } from './detach-keys.js';

test('parseDetachKeys: default ctrl-p,ctrl-q', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
});

test('parseDetachKeys: ctrl-a,x mixes named keys and plain characters; names are case-insensitive', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [1, 0x78]);
  assert.deepEqual([...parseDetachKeys('CTRL-Z,ctrl-@,ctrl-\\,ctrl-_')], [26, 0, 28, 31]);
});

test('parseDetachKeys: unknown names are refused with docker message', () => {
  assert.throws(() => parseDetachKeys('ctrl-1'), /Unknown character: 'ctrl-1'/);
  assert.throws(() => parseDetachKeys('alt-x'), /Unknown character/);
});

test('DetachKeyFilter: the sequence in one chunk detaches, bytes before it are forwarded', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'));
  const r = f.feed(Buffer.from([0x61, 16, 17, 0x62]));
  assert.equal(r.detached, true);
  assert.deepEqual([...r.forward], [0x61]);
});

test('DetachKeyFilter: the sequence split across reads', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'));
  const a = f.feed(Buffer.from([16]));
  assert.deepEqual(a, { forward: Buffer.alloc(0), detached: false });
  const b = f.feed(Buffer.from([17]));
  assert.equal(b.detached, true);
});

test('DetachKeyFilter: a lone first key is released when the next byte breaks the match', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'));
  f.feed(Buffer.from([16]));
  const r = f.feed(Buffer.from([0x78]));
  assert.equal(r.detached, false);
  assert.deepEqual([...r.forward], [16, 0x78]);
});

test('DetachKeyFilter: a repeated first key restarts the match', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'));
  const r = f.feed(Buffer.from([16, 16, 17]));
  assert.equal(r.detached, true);
  assert.deepEqual([...r.forward], [16]);
});

test('DetachKeyFilter: three-key sequences and flush of held bytes', () => {
  const f = new DetachKeyFilter(parseDetachKeys('a,b,c'));
  assert.deepEqual(f.feed(Buffer.from('xab')), { forward: Buffer.from('x'), detached: false });
  assert.deepEqual([...f.flush()], [...Buffer.from('ab')]);
  assert.equal(f.feed(Buffer.from('abc')).detached, true);
});

test('DetachKeyFilter: a one-key sequence', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-x'));
  assert.deepEqual(f.feed(Buffer.from([0x41, 24])), { forward: Buffer.from([0x41]), detached: true });
});
