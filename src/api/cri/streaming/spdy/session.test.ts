import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplexPair } from 'node:stream';
import { once } from 'node:events';
import { decodeIdStatus, decodePing, decodeStreamHeaders, encodeData, encodeHeaderBlock, encodePing, FLAG_FIN, FrameParser, FrameType, RstStatus, type RawFrame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-zlib.js';
import { SpdySession, type SpdyStream } from './session.js';

/** The client side of a session over an in-memory socket pair: it writes frames and collects the server's. */
function setup(refuse?: (s: SpdyStream) => string | undefined) {
  const [client, server] = duplexPair();
  const accepted: SpdyStream[] = [];
  const session = new SpdySession(server, {
    onStream: (s) => {
      const why = refuse?.(s);
      if (why === undefined) accepted.push(s);
      return why;
    },
  });
  const parser = new FrameParser();
  const frames: RawFrame[] = [];
  client.on('data', (b: Buffer) => frames.push(...parser.push(b)));
  const deflater = new HeaderCompressor();
  const synStream = async (id: number, headers: Record<string, string>, fin = false): Promise<void> => {
    const block = await deflater.deflate(encodeHeaderBlock(new Map(Object.entries(headers).map(([k, v]) => [k, [v]]))));
    const fixed = Buffer.alloc(10);
    fixed.writeUInt32BE(id, 0);
    const payload = Buffer.concat([fixed, block]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x80030001, 0);
    head.writeUInt8(fin ? FLAG_FIN : 0, 4);
    head.writeUIntBE(payload.length, 5, 3);
    client.write(Buffer.concat([head, payload]));
  };
  const waitFor = async (pred: (f: RawFrame) => boolean): Promise<RawFrame> => {
    for (let i = 0; i < 200; i++) {
      const f = frames.find(pred);
      if (f) return f;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no such frame among ${frames.length}`);
  };
  const done = (): void => {
    deflater.close();
    session.destroy();
    client.destroy();
  };
  return { client, session, accepted, frames, synStream, waitFor, done };
}

const isControl = (type: number) => (f: RawFrame) => f.control && f.type === type;

test('a client stream is answered with SYN_REPLY, carries data both ways and ends with FIN', async () => {
  const t = setup();
  try {
    await t.synStream(1, { streamType: 'stdin', port: '80' });
    const reply = await t.waitFor(isControl(FrameType.SYN_REPLY));
    assert.ok(reply.control);
    const { streamId, compressedHeaders } = decodeStreamHeaders(reply.payload);
    assert.equal(streamId, 1);
    const inflater = new HeaderDecompressor();
    assert.equal((await inflater.inflate(compressedHeaders)).readUInt32BE(0), 0, 'no headers in the reply');
    inflater.close();
    const s = t.accepted[0];
    assert.ok(s);
    assert.equal(s.header('StreamType'), 'stdin');
    t.client.write(encodeData(1, Buffer.from('hello'), true));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    await once(s, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
    s.end('bye');
    const fin = await t.waitFor((f) => !f.control && f.streamId === 1 && (f.flags & FLAG_FIN) !== 0);
    const data = t.frames.filter((f) => !f.control && f.streamId === 1).map((f) => f.payload.toString()).join('');
    assert.equal(data, 'bye');
    assert.ok(!fin.control && fin.payload.length === 0);
    // The reply went out before any data of its stream.
    assert.ok(t.frames.indexOf(reply) < t.frames.findIndex((f) => !f.control));
  } finally {
    t.done();
  }
});

test('PINGs with odd ids come back; a stream id that is even or not increasing is reset', async () => {
  const t = setup();
  try {
    t.client.write(encodePing(7));
    const ping = await t.waitFor(isControl(FrameType.PING));
    assert.ok(ping.control && decodePing(ping.payload) === 7);
    await t.synStream(5, { streamType: 'error' });
    await t.synStream(4, { streamType: 'error' });
    await t.synStream(3, { streamType: 'error' });
    const rsts = async (): Promise<Array<{ streamId: number; status: number }>> => {
      await t.waitFor((f) => f.control && f.type === FrameType.RST_STREAM && decodeIdStatus(f.payload).streamId === 3);
      return t.frames.filter(isControl(FrameType.RST_STREAM)).map((f) => decodeIdStatus(f.payload));
    };
    assert.deepEqual(await rsts(), [
      { streamId: 4, status: RstStatus.PROTOCOL_ERROR },
      { streamId: 3, status: RstStatus.PROTOCOL_ERROR },
    ]);
    assert.equal(t.accepted.length, 1);
  } finally {
    t.done();
  }
});

test('a refused stream is reset with REFUSED_STREAM; a peer reset closes the stream', async () => {
  const t = setup((s) => (s.header('streamType') === 'bad' ? 'no' : undefined));
  try {
    await t.synStream(1, { streamType: 'bad' });
    const rst = await t.waitFor(isControl(FrameType.RST_STREAM));
    assert.deepEqual(decodeIdStatus(rst.payload), { streamId: 1, status: RstStatus.REFUSED_STREAM });
    await t.synStream(3, { streamType: 'data' });
    await t.waitFor(isControl(FrameType.SYN_REPLY));
    const s = t.accepted[0];
    assert.ok(s);
    const closed = once(s, 'close');
    const reset = Buffer.alloc(16);
    reset.writeUInt32BE(0x80030003, 0);
    reset.writeUInt32BE(8, 4);
    reset.writeUInt32BE(3, 8);
    reset.writeUInt32BE(RstStatus.CANCEL, 12);
    t.client.write(reset);
    await closed;
    assert.equal(s.resetDone, true);
  } finally {
    t.done();
  }
});

test('close() says GOAWAY with the last stream id and ends the connection', async () => {
  const t = setup();
  try {
    await t.synStream(1, { streamType: 'error' });
    await t.waitFor(isControl(FrameType.SYN_REPLY));
    const ended = once(t.client, 'end');
    await t.session.close();
    const goaway = await t.waitFor(isControl(FrameType.GOAWAY));
    assert.deepEqual(decodeIdStatus(goaway.payload), { streamId: 1, status: 0 });
    await ended;
  } finally {
    t.done();
  }
});
