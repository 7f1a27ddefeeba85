import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { writeLogs } from '../../engine/containers/logs/log-stream.js';
import { Demuxer, frame, type DemuxedFrame } from './multiplex.js';

const text = (f: DemuxedFrame): [number, string] => [f.stream, f.payload.toString()];

test('frame writes the 8-byte header docker clients expect', () => {
  const out = frame(2, Buffer.from('oops\n'));
  assert.deepEqual([...out.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  assert.equal(out.subarray(8).toString(), 'oops\n');
  const big = frame(1, Buffer.alloc(0x01020304));
  assert.deepEqual([...big.subarray(0, 8)], [1, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual([...frame(3, Buffer.alloc(0))], [3, 0, 0, 0, 0, 0, 0, 0]);
});

test('demuxer returns whole frames from one chunk, in order', () => {
  const d = new Demuxer();
  const wire = Buffer.concat([frame(1, Buffer.from('out\n')), frame(2, Buffer.from('err\n')), frame(1, Buffer.alloc(0))]);
  assert.deepEqual(d.push(wire).map(text), [
    [1, 'out\n'],
    [2, 'err\n'],
    [1, ''],
  ]);
  assert.equal(d.pending, 0);
  d.end();
});

test('demuxer reassembles frames split at every possible byte', () => {
  const wire = Buffer.concat([frame(1, Buffer.from('hello ')), frame(2, Buffer.from('world')), frame(3, Buffer.from('!'))]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new Demuxer();
    const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
    assert.deepEqual(frames.map(text), [
      [1, 'hello '],
      [2, 'world'],
      [3, '!'],
    ], `cut at ${cut}`);
  }
});

test('demuxer handles one byte at a time and a large frame in many chunks', () => {
  const payload = Buffer.alloc(1 << 20, 7);
  const wire = Buffer.concat([frame(1, Buffer.from('ab')), frame(2, payload)]);
  const d = new Demuxer();
  const frames: DemuxedFrame[] = [];
  for (let i = 0; i < 20; i++) frames.push(...d.push(wire.subarray(i, i + 1)));
  for (let i = 20; i < wire.length; i += 1000) frames.push(...d.push(wire.subarray(i, i + 1000)));
  assert.equal(frames.length, 2);
  assert.deepEqual(text(frames[0]!), [1, 'ab']);
  assert.equal(frames[1]!.stream, 2);
  assert.ok(frames[1]!.payload.equals(payload));
  d.end();
});

test('demuxer rejects an unknown stream byte and a truncated end', () => {
  assert.throws(() => new Demuxer().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65])), /stream byte 9/);
  const d = new Demuxer();
  assert.deepEqual(d.push(frame(1, Buffer.from('abc')).subarray(0, 9)), []);
  assert.equal(d.pending, 9);
  assert.throws(() => d.end(), /ended inside a frame/);
});

test('log lines written by writeLogs with frame() demux back to their streams', async () => {
  const out = new PassThrough();
  const d = new Demuxer();
  const frames: DemuxedFrame[] = [];
  out.on('data', (chunk: Buffer) => frames.push(...d.push(chunk)));
  const ended = new Promise<void>((resolve) => out.on('end', resolve));
  async function* lines(): AsyncGenerator<{ stream: 'stdout' | 'stderr'; line: Buffer }> {
    yield { stream: 'stdout', line: Buffer.from('out\n') };
    yield { stream: 'stderr', line: Buffer.from('err\n') };
  }
  await writeLogs(out, lines, false, frame);
  await ended;
  d.end();
  assert.deepEqual(frames.map(text), [
    [1, 'out\n'],
    [2, 'err\n'],
  ]);
});
