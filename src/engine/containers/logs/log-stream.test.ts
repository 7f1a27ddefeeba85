import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLogs, type LogLine } from './json-file-reader.js';
import { writeLogs, type Framer } from './log-stream.js';

let dir = '';
before(async () => {
  dir = await mkdtemp('/tmp/berth-test-logs-');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// engine/ may not import api/, so a readable stand-in framer checks the glue; the real frame()
// is checked against writeLogs in api/streams/multiplex.test.ts.
const fakeFrame: Framer = (stream, payload) => Buffer.concat([Buffer.from(`<${stream}>`), payload]);
const line = (stream: LogLine['stream'], text: string): LogLine => ({ stream, line: Buffer.from(text) });
async function* lines(...items: LogLine[]): AsyncGenerator<LogLine> {
  for (const item of items) yield item;
}
function sink(): { out: PassThrough; text: () => string; ended: Promise<void> } {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const ended = new Promise<void>((resolve) => out.on('end', resolve));
  return { out, text: () => Buffer.concat(parts).toString(), ended };
}

test('without a TTY each line is framed on its own stream, and the output is ended', async () => {
  const s = sink();
  await writeLogs(s.out, () => lines(line('stdout', 'a\n'), line('stderr', 'b\n'), line('stdout', 'c')), false, fakeFrame);
  await s.ended;
  assert.equal(s.text(), '<1>a\n<2>b\n<1>c');
});

test('with a TTY the bytes go out raw', async () => {
  const s = sink();
  await writeLogs(s.out, () => lines(line('stdout', 'a\r\n'), line('stdout', 'b\r\n')), true, fakeFrame);
  await s.ended;
  assert.equal(s.text(), 'a\r\nb\r\n');
});

test('a read error is reported in-band on stream 3 and the output still ends', async () => {
  const s = sink();
  async function* failing(): AsyncGenerator<LogLine> {
    yield line('stdout', 'ok\n');
    throw new Error('EIO: disk on fire');
  }
  await writeLogs(s.out, failing, false, fakeFrame);
  await s.ended;
  assert.equal(s.text(), '<1>ok\n<3>Error grabbing logs: EIO: disk on fire\n');
});

test('a slow client gets every line: writes wait for drain', async () => {
  const got: string[] = [];
  const slow = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _enc, done) {
      got.push(chunk.toString());
      setTimeout(done, 1);
    },
  });
  const many = Array.from({ length: 50 }, (_, i) => line('stdout', `${i}\n`));
  await writeLogs(slow, () => lines(...many), true, fakeFrame);
  await new Promise<void>((resolve) => slow.on('finish', resolve));
  assert.equal(got.join(''), many.map((l) => l.line.toString()).join(''));
});

test('a client going away aborts a parked follow and writeLogs returns', async () => {
  const path = join(dir, 'follow-json.log');
  await writeFile(path, JSON.stringify({ log: 'hi\n', stream: 'stdout', time: '2024-01-02T03:04:05.123456789Z' }) + '\n');
  const s = sink();
  let readerSignal: AbortSignal | undefined;
  const done = writeLogs(
    s.out,
    (signal) => {
      readerSignal = signal;
      return readLogs(path, { stdout: true, stderr: true, timestamps: false, details: false, follow: true, isRunning: () => true, signal });
    },
    false,
    fakeFrame,
  );
  for (let i = 0; i < 100 && s.text() === ''; i++) await sleep(10);
  assert.equal(s.text(), '<1>hi\n');
  const t = Date.now();
  s.out.destroy(); // the HTTP connection closed
  await done;
  assert.ok(Date.now() - t < 200, 'returned without waiting for the container to stop');
  assert.equal(readerSignal?.aborted, true);
});
