import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { TerminalSizeDecoder, terminalSizes } from './terminal-size.js';

test('sizes split wherever the chunks are cut, as client-go json.Encoder writes them', () => {
  const d = new TerminalSizeDecoder();
  const text = '{"Width":80,"Height":24}\n{"Width":132,"Height":50}\n';
  const got = [];
  for (const c of text) got.push(...d.push(c));
  assert.deepEqual(got, [{ width: 80, height: 24 }, { width: 132, height: 50 }]);
});

test('several sizes in one chunk, field names in any case, a brace inside a string ignored', () => {
  const d = new TerminalSizeDecoder();
  assert.deepEqual(d.push('{"width":10,"height":5} {"WIDTH":7,"Height":3,"x":"}{"}'), [
    { width: 10, height: 5 },
    { width: 7, height: 3 },
  ]);
});

test('a value that is no size ends the resizes, as the kubelet stops decoding', () => {
  const d = new TerminalSizeDecoder();
  assert.deepEqual(d.push('{"Width":-1,"Height":2}{"Width":1,"Height":2}'), []);
  assert.equal(d.broken, true);
  const e = new TerminalSizeDecoder();
  assert.deepEqual(e.push('garbage{"Width":1,"Height":2}'), []);
});

test('terminalSizes reads a stream to its end', async () => {
  const got = [];
  for await (const s of terminalSizes(Readable.from([Buffer.from('{"Width":1,'), Buffer.from('"Height":2}{"Width":3,"Height":4}')]))) got.push(s);
  assert.deepEqual(got, [{ width: 1, height: 2 }, { width: 3, height: 4 }]);
});
