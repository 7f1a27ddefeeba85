import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { demuxStream, StdDemuxer, StreamError, type FrameSink } from './stdcopy.js';

class Collect implements FrameSink {
  readonly chunks: Buffer[] = [];
  constructor(private readonly accept = true) {}
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return this.accept;
  }
  once(_event: 'drain', listener: () => void): this {
    setImmediate(listener);
    return this;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function frame(stream: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

test('frames go to stdout and stderr by stream byte; stdin (0) counts as stdout', () => {
  const out = new Collect();
  const err = new Collect();
  const d = new StdDemuxer(out, err);
  d.push(Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(0, 'world'), frame(1, '')]));
  assert.equal(out.text(), 'hello world');
  assert.equal(err.text(), 'oops');
  assert.equal(d.partial, false);
});

test('a frame split at every byte boundary, header included, comes out whole', () => {
  const data = Buffer.concat([frame(1, 'abc'), frame(2, 'defgh'), frame(1, 'ij')]);
  for (let cut = 1; cut < data.length; cut++) {
    const out = new Collect();
    const err = new Collect();
    const d = new StdDemuxer(out, err);
    d.push(data.subarray(0, cut));
    d.push(data.subarray(cut));
    assert.equal(out.text(), 'abcij', `cut at ${cut}`);
    assert.equal(err.text(), 'defgh', `cut at ${cut}`);
  }
});

test('one byte at a time', () => {
  const data = Buffer.concat([frame(2, 'err1'), frame(1, 'out1')]);
  const out = new Collect();
  const err = new Collect();
  const d = new StdDemuxer(out, err);
  for (const b of data) d.push(Buffer.from([b]));
  assert.equal(out.text(), 'out1');
  assert.equal(err.text(), 'err1');
});

test('a large frame (3 MB) is streamed through in pieces', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
  const data = Buffer.concat([frame(1, big), frame(2, 'tail')]);
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += 65536) pieces.push(data.subarray(i, i + 65536));
  const out = new Collect();
  const err = new Collect();
  await demuxStream(Readable.from(pieces), out, err);
  assert.equal(Buffer.concat(out.chunks).length, big.length);
  assert.ok(out.chunks.length > 1, 'payload written as it arrived');
  assert.equal(err.text(), 'tail');
});

test('stream 3 carries daemon error text and throws', () => {
  const out = new Collect();
  const d = new StdDemuxer(out, new Collect());
  assert.throws(() => d.push(Buffer.concat([frame(1, 'x'), frame(3, 'boom')])), (e: unknown) => {
    return e instanceof StreamError && e.message === 'error from daemon in stream: boom';
  });
  assert.equal(out.text(), 'x');
});

test('an unknown stream byte is an error, like StdCopy', () => {
  const d = new StdDemuxer(new Collect(), new Collect());
  assert.throws(() => d.push(frame(7, 'x')), /Unrecognized input header: 7/);
});

test('an incomplete frame at EOF is dropped without error', async () => {
  const data = Buffer.concat([frame(1, 'done'), frame(1, 'partial').subarray(0, 10)]);
  const out = new Collect();
  await demuxStream(Readable.from([data]), out, new Collect());
  assert.equal(out.text(), 'done' + 'pa');
});

test('backpressure: a sink that returns false is reported and awaited', async () => {
  const slow = new Collect(false);
  const d = new StdDemuxer(slow, new Collect());
  assert.deepEqual(d.push(frame(1, 'x')), [slow]);
  await demuxStream(Readable.from([frame(1, 'a'), frame(1, 'b')]), slow, new Collect());
  assert.equal(slow.text(), 'xab');
});
