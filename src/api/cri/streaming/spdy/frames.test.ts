import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPDY3_DICTIONARY } from './dictionary.js';
import {
  decodeHeaderBlock,
  decodeIdStatus,
  decodePing,
  decodeStreamHeaders,
  decodeSynStream,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  FLAG_FIN,
  FrameParser,
  FrameType,
  type RawFrame,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-zlib.js';

/**
 * Byte vectors written by moby/spdystream's framer (the one client-go and the kubelet use), one
 * framer for all, so the three header blocks (two SYN_STREAMs and a SYN_REPLY) continue one zlib
 * stream. The SYN_STREAM headers are those client-go's port-forward sends.
 */
const GO = {
  syn1: '800300010000003e0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c60616061c0c0c0c0590489c64c50f2663400000000ffff',
  syn3fin: '800300010100001800000003000000000000c2aa19540e2512d60b000000ffff',
  data3: '000000030100000568656c6c6f',
  ping1: '800300060000000400000001',
  rst3: '80030003000000080000000300000005',
  goaway: '80030007000000080000000300000000',
  reply1: '800300020000000e000000016260606000000000ffff',
  window: '80030009000000080000000100010000',
  settings: '800300040000000c000000010000000700100000',
};
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

function control(f: RawFrame | undefined): Extract<RawFrame, { control: true }> {
  assert.ok(f?.control, 'a control frame');
  return f;
}

test('the SPDY/3 dictionary is the one whose id the Go framer writes in its first header block', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
  assert.ok(hex(GO.syn1).subarray(18, 24).equals(Buffer.from([0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2])));
});

test('FrameParser reads the Go framer output, cut into single bytes', () => {
  const all = Buffer.concat(Object.values(GO).map(hex));
  const p = new FrameParser();
  const frames: RawFrame[] = [];
  for (const b of all) frames.push(...p.push(Buffer.from([b])));
  assert.equal(frames.length, 9);
  const types = frames.map((f) => (f.control ? f.type : 'data'));
  assert.deepEqual(types, [FrameType.SYN_STREAM, FrameType.SYN_STREAM, 'data', FrameType.PING, FrameType.RST_STREAM, FrameType.GOAWAY, FrameType.SYN_REPLY, FrameType.WINDOW_UPDATE, FrameType.SETTINGS]);
  for (const f of frames) if (f.control) assert.equal(f.version, 3);
  const data = frames[2];
  assert.ok(data && !data.control);
  assert.equal(data.streamId, 3);
  assert.equal(data.flags & FLAG_FIN, FLAG_FIN);
  assert.equal(data.payload.toString(), 'hello');
  assert.equal(decodePing(control(frames[3]).payload), 1);
  assert.deepEqual(decodeIdStatus(control(frames[4]).payload), { streamId: 3, status: 5 });
  assert.deepEqual(decodeIdStatus(control(frames[5]).payload), { streamId: 3, status: 0 });
  assert.equal(control(frames[1]).flags & FLAG_FIN, FLAG_FIN);
});

test('header blocks of one connection decompress in order, each continuing the zlib stream', async () => {
  const p = new FrameParser();
  const [syn1, syn3, reply] = [GO.syn1, GO.syn3fin, GO.reply1].map((h) => control(p.push(hex(h))[0]));
  const inflater = new HeaderDecompressor();
  try {
    const s1 = decodeSynStream(control(syn1).payload);
    assert.equal(s1.streamId, 1);
    const h1 = decodeHeaderBlock(await inflater.inflate(s1.compressedHeaders));
    assert.deepEqual(Object.fromEntries(h1), { port: ['8080'], requestid: ['0'], streamtype: ['error'] });
    const s3 = decodeSynStream(control(syn3).payload);
    assert.equal(s3.streamId, 3);
    const h3 = decodeHeaderBlock(await inflater.inflate(s3.compressedHeaders));
    assert.deepEqual(Object.fromEntries(h3), { port: ['8080'], requestid: ['0'], streamtype: ['data'] });
    const r = decodeStreamHeaders(control(reply).payload);
    assert.equal(r.streamId, 1);
    assert.equal(decodeHeaderBlock(await inflater.inflate(r.compressedHeaders)).size, 0);
  } finally {
    inflater.close();
  }
});

test('the encoders write what the Go framer writes', () => {
  assert.ok(encodeData(3, Buffer.from('hello'), true).equals(hex(GO.data3)));
  assert.ok(encodePing(1).equals(hex(GO.ping1)));
  assert.ok(encodeRstStream(3, 5).equals(hex(GO.rst3)));
  assert.ok(encodeGoAway(3, 0).equals(hex(GO.goaway)));
});

test('compressed header blocks round-trip through one compressor and one decompressor', async () => {
  const deflater = new HeaderCompressor();
  const inflater = new HeaderDecompressor();
  try {
    const blocks = [
      new Map([['streamtype', ['stdout']]]),
      new Map<string, string[]>(),
      new Map([['x-many', ['a', 'b']], ['port', ['80']]]),
    ];
    const compressed = await Promise.all(blocks.map((b) => deflater.deflate(encodeHeaderBlock(b))));
    // The first block carries the zlib header with the dictionary's id.
    assert.equal(compressed[0]?.readUInt32BE(2), 0xe3c6a7c2);
    for (const [i, c] of compressed.entries()) {
      assert.deepEqual(decodeHeaderBlock(await inflater.inflate(c)), blocks[i]);
    }
  } finally {
    deflater.close();
    inflater.close();
  }
});

test('a header block: names lowercased, NUL-separated values split, a truncated one refused', () => {
  const block = encodeHeaderBlock(new Map([['StreamType', ['error']], ['x', ['1', '2']]]));
  assert.deepEqual(Object.fromEntries(decodeHeaderBlock(block)), { streamtype: ['error'], x: ['1', '2'] });
  assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /ends inside a value/);
  assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0])), /ends inside the pair count/);
});

test('FrameParser refuses a frame longer than its limit, and a short SYN_STREAM is refused', () => {
  const p = new FrameParser(16);
  assert.throws(() => p.push(encodeData(1, Buffer.alloc(17), false)), /larger than the 16/);
  assert.throws(() => decodeSynStream(Buffer.alloc(9)), /shorter than its 10-byte/);
});
