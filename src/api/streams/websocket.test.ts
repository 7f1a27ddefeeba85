import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, webSocketAccept } from './websocket.js';

test('webSocketAccept: the RFC 6455 example key', () => {
  assert.equal(webSocketAccept({ upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.throws(() => webSocketAccept({ upgrade: 'tcp', 'sec-websocket-key': 'x' }), /needs a websocket upgrade/);
});

test('encodeFrame and FrameDecoder agree on 7-bit, 16-bit and 64-bit lengths, whatever the chunking', () => {
  for (const n of [0, 5, 125, 126, 300, 65535, 70000]) {
    const payload = Buffer.alloc(n, 0x61 + (n % 26));
    const bytes = encodeFrame(2, payload);
    const d = new FrameDecoder();
    const got = [...d.push(bytes.subarray(0, 1)), ...d.push(bytes.subarray(1, 3)), ...d.push(bytes.subarray(3))];
    assert.equal(got.length, 1, `one frame of ${n}`);
    assert.equal(got[0]?.opcode, 2);
    assert.ok(got[0]?.payload.equals(payload), `payload of ${n}`);
  }
});

test('FrameDecoder unmasks client frames and returns several from one chunk', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = (text: string): Buffer => {
    const p = Buffer.from(text);
    return Buffer.concat([Buffer.from([0x81, 0x80 | p.length]), mask, p.map((b, i) => b ^ (mask[i % 4] ?? 0))]);
  };
  const frames = new FrameDecoder().push(Buffer.concat([masked('hello'), masked('\x18'), Buffer.from([0x88, 0x00])]));
  assert.deepEqual(frames.map((f) => [f.opcode, f.payload.toString()]), [[1, 'hello'], [1, '\x18'], [8, '']]);
});
