import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLogs, type LogLine, type ReadLogsOptions } from './json-file-reader.js';

let dir = '';
let seq = 0;
before(async () => {
  dir = await mkdtemp('/tmp/berth-test-logs-');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const logPath = (): string => join(dir, `c${++seq}-json.log`);
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000; // 2024-01-02T03:04:05Z
/** A line exactly as docker (and our monitor) writes it; `s` seconds after T0. */
const entry = (stream: string, log: string, s = 0, frac = '123456789'): string =>
  JSON.stringify({ log, stream, time: `${new Date((T0 + s) * 1000).toISOString().slice(0, 19)}.${frac}Z` }) + '\n';
const opts = (o: Partial<ReadLogsOptions> = {}): ReadLogsOptions => ({
  stdout: true,
  stderr: true,
  timestamps: false,
  details: false,
  follow: false,
  isRunning: () => false,
  ...o,
});
const show = (l: LogLine): string => `${l.stream}:${l.line.toString()}`;
async function collect(path: string, o: Partial<ReadLogsOptions> = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLogs(path, opts(o))) out.push(show(l));
  return out;
}
/** Resolves when `want` lines have arrived; the reader keeps running. */
function reader(path: string, o: Partial<ReadLogsOptions>): { lines: string[]; done: Promise<void>; until: (n: number) => Promise<void> } {
  const lines: string[] = [];
  const done = (async () => {
    for await (const l of readLogs(path, opts(o))) lines.push(show(l));
  })();
  const until = async (n: number): Promise<void> => {
    for (let i = 0; lines.length < n; i++) {
      if (i > 400) throw new Error(`timed out waiting for ${n} lines, have ${JSON.stringify(lines)}`);
      await sleep(10);
    }
  };
  return { lines, done, until };
}

const interleaved = ['o1', 'e1', 'o2', 'e2', 'o3', 'e3'].map((x, i) => entry(x[0] === 'o' ? 'stdout' : 'stderr', `${x}\n`, i)).join('');

test('a missing file has no entries, with or without follow', async () => {
  assert.deepEqual(await collect(join(dir, 'never-ran.log')), []);
  assert.deepEqual(await collect(join(dir, 'never-ran.log'), { follow: true }), []);
});

test('stdout and stderr are filtered independently', async () => {
  const p = logPath();
  await writeFile(p, interleaved);
  assert.deepEqual(await collect(p, { stderr: false }), ['stdout:o1\n', 'stdout:o2\n', 'stdout:o3\n']);
  assert.deepEqual(await collect(p, { stdout: false }), ['stderr:e1\n', 'stderr:e2\n', 'stderr:e3\n']);
  assert.deepEqual(await collect(p, { stdout: false, stderr: false }), []);
  assert.equal((await collect(p)).length, 6);
});

test('tail counts entries of both streams before filtering, as docker does', async () => {
  const p = logPath();
  await writeFile(p, interleaved);
  assert.deepEqual(await collect(p, { tail: 0 }), []);
  assert.deepEqual(await collect(p, { tail: 1 }), ['stderr:e3\n']);
  assert.deepEqual(await collect(p, { tail: 1, stderr: false }), []); // last entry is stderr
  assert.deepEqual(await collect(p, { tail: 3, stderr: false }), ['stdout:o3\n']);
  assert.deepEqual(await collect(p, { tail: 4 }), ['stdout:o2\n', 'stderr:e2\n', 'stdout:o3\n', 'stderr:e3\n']);
  for (const tail of ['all', 6, 100, -1] as const) assert.equal((await collect(p, { tail })).length, 6, `tail ${tail}`);
  assert.equal((await collect(p)).length, 6);
  // A half-written last line is not an entry yet, so it does not use up the tail.
  await appendFile(p, '{"log":"half');
  assert.deepEqual(await collect(p, { tail: 1 }), ['stderr:e3\n']);
});

test('since is inclusive and until is inclusive, to the nanosecond', async () => {
  const p = logPath();
  await writeFile(p, [0, 1, 2, 3, 4].map((s) => entry('stdout', `t${s}\n`, s, '500000000')).join(''));
  assert.deepEqual(await collect(p, { since: T0 + 2.5 }), ['stdout:t2\n', 'stdout:t3\n', 'stdout:t4\n']);
  assert.deepEqual(await collect(p, { since: T0 + 2.6 }), ['stdout:t3\n', 'stdout:t4\n']);
  assert.deepEqual(await collect(p, { until: T0 + 1.5 }), ['stdout:t0\n', 'stdout:t1\n']);
  assert.deepEqual(await collect(p, { until: T0 + 1.4 }), ['stdout:t0\n']);
  assert.deepEqual(await collect(p, { since: T0 + 1, until: T0 + 3 }), ['stdout:t1\n', 'stdout:t2\n']);
  assert.equal((await collect(p, { until: 0 })).length, 5); // docker: until=0 means no bound
  assert.deepEqual(await collect(p, { tail: 2, since: T0 + 4 }), ['stdout:t4\n']); // tail first, then since
});

test('after the first entry at or past since, earlier timestamps are kept (moby forwarder)', async () => {
  const p = logPath();
  await writeFile(p, entry('stdout', 'a\n', 0) + entry('stdout', 'b\n', 5) + entry('stdout', 'c\n', 1));
  assert.deepEqual(await collect(p, { since: T0 + 3 }), ['stdout:b\n', 'stdout:c\n']);
});

test('timestamps and details prefixes match docker byte for byte', async () => {
  const p = logPath();
  await writeFile(
    p,
    JSON.stringify({ log: 'hi\n', stream: 'stdout', time: '2024-01-02T03:04:05.1Z' }) +
      '\n' +
      JSON.stringify({ log: 'x\n', stream: 'stderr', time: '2024-01-02T03:04:05Z', attrs: { z: '1', a: 'b c/&' } }) +
      '\n' +
      JSON.stringify({ log: 'y\n', stream: 'stdout', time: '2024-01-02T04:04:05.123456789+01:00' }) +
      '\n',
  );
  assert.deepEqual(await collect(p, { timestamps: true }), [
    'stdout:2024-01-02T03:04:05.100000000Z hi\n',
    'stderr:2024-01-02T03:04:05.000000000Z x\n',
    'stdout:2024-01-02T04:04:05.123456789+01:00 y\n',
  ]);
  assert.deepEqual(await collect(p, { details: true }), ['stdout: hi\n', 'stderr:a=b+c%2F%26,z=1 x\n', 'stdout: y\n']);
  assert.deepEqual(await collect(p, { details: true, timestamps: true, tail: 1 }), ['stdout:2024-01-02T04:04:05.123456789+01:00  y\n']);
  // +01:00 is the same instant as 03:04:05.123456789Z, so since compares instants, not text.
  assert.deepEqual(await collect(p, { since: T0 + 0.12 }), ['stdout:y\n']);
});

test('partial lines are their own entries; corrupt lines are skipped', async () => {
  const p = logPath();
  await writeFile(
    p,
    entry('stdout', 'no newline', 0) +
      entry('stdout', ' rest\n', 1) +
      'this is not json\n' +
      '\n' +
      '{"log":"torn by a crash' + entry('stderr', 'salvaged\n', 2) +
      '{"stream":"stdout"}\n' +
      entry('stdout', 'last\n', 3) +
      '{"log":"still being wr',
  );
  assert.deepEqual(await collect(p), ['stdout:no newline', 'stdout: rest\n', 'stderr:salvaged\n', 'stdout:last\n']);
});

test('follow yields appended entries and ends once the container stops', async () => {
  const p = logPath();
  await writeFile(p, entry('stdout', 'before\n'));
  let running = true;
  const r = reader(p, { follow: true, isRunning: () => running });
  let n = 0;
  let writes = Promise.resolve(); // chained, so appends land in order like the monitor's
  const writer = setInterval(() => {
    const i = ++n;
    writes = writes.then(() => appendFile(p, entry(i % 2 ? 'stdout' : 'stderr', `line ${i}\n`, i)));
  }, 15);
  await r.until(11);
  clearInterval(writer);
  await writes;
  running = false;
  await r.done;
  assert.equal(r.lines[0], 'stdout:before\n');
  assert.deepEqual(r.lines.slice(1), Array.from({ length: n }, (_, i) => `${(i + 1) % 2 ? 'stdout' : 'stderr'}:line ${i + 1}\n`));
});

test('follow ends promptly when waitForExit resolves, and drains what was written first', async () => {
  const p = logPath();
  await writeFile(p, '');
  let exit = (): void => undefined;
  const waitForExit = new Promise<void>((resolve) => (exit = resolve));
  const started = Date.now();
  const r = reader(p, { follow: true, isRunning: () => true, waitForExit, tail: 0 });
  await sleep(30);
  await appendFile(p, entry('stdout', 'bye\n'));
  exit();
  await r.done;
  assert.deepEqual(r.lines, ['stdout:bye\n']);
  assert.ok(Date.now() - started < 1000);
});

test('follow retries a half-written line until it is complete', async () => {
  const p = logPath();
  await writeFile(p, entry('stdout', 'one\n'));
  let running = true;
  const r = reader(p, { follow: true, isRunning: () => running });
  await r.until(1);
  const line = entry('stderr', 'two\n', 1);
  await appendFile(p, line.slice(0, 20));
  await sleep(300); // at least one poll sees the fragment
  assert.equal(r.lines.length, 1);
  await appendFile(p, line.slice(20));
  await r.until(2);
  running = false;
  await r.done;
  assert.deepEqual(r.lines, ['stdout:one\n', 'stderr:two\n']);
});

test('follow starts over after truncation and after rotation', async () => {
  const p = logPath();
  await writeFile(p, entry('stdout', 'a\n') + entry('stdout', 'b\n'));
  let running = true;
  const r = reader(p, { follow: true, isRunning: () => running, tail: 1 });
  await r.until(1);
  await truncate(p, 0);
  await sleep(50);
  await appendFile(p, entry('stdout', 'after truncate\n'));
  await r.until(2);
  await appendFile(p, entry('stdout', 'last of old file\n'));
  await rename(p, `${p}.1`);
  await writeFile(p, entry('stdout', 'new file\n'));
  await r.until(4);
  running = false;
  await r.done;
  assert.deepEqual(r.lines, ['stdout:b\n', 'stdout:after truncate\n', 'stdout:last of old file\n', 'stdout:new file\n']);
});

test('follow waits for a file that does not exist yet', async () => {
  const p = logPath();
  let running = true;
  const r = reader(p, { follow: true, isRunning: () => running });
  await sleep(50);
  await writeFile(p, entry('stdout', 'hello\n'));
  await r.until(1);
  running = false;
  await r.done;
  assert.deepEqual(r.lines, ['stdout:hello\n']);
});

test('follow stops on abort and at the first entry past until', async () => {
  const p = logPath();
  await writeFile(p, entry('stdout', 'x\n'));
  const ac = new AbortController();
  const r = reader(p, { follow: true, isRunning: () => true, signal: ac.signal });
  await r.until(1);
  const t = Date.now();
  ac.abort();
  await r.done;
  assert.ok(Date.now() - t < 200, 'abort wakes a parked follow');

  const p2 = logPath();
  await writeFile(p2, entry('stdout', 'in\n', 0));
  const r2 = reader(p2, { follow: true, isRunning: () => true, until: Date.now() / 1000 + 3600 });
  await r2.until(1);
  await appendFile(p2, JSON.stringify({ log: 'out\n', stream: 'stdout', time: new Date(Date.now() + 7200_000).toISOString() }) + '\n');
  await r2.done;
  assert.deepEqual(r2.lines, ['stdout:in\n']);

  // until already in the past: nothing newer can qualify, so follow ends once drained.
  assert.deepEqual(await collect(p, { follow: true, isRunning: () => true, until: T0 + 10 }), ['stdout:x\n']);
});

test('tail=10 on a 50 MB log reads backwards and takes well under 200 ms', async () => {
  const p = logPath();
  const block = Buffer.from(Array.from({ length: 10_000 }, (_, i) => entry(i % 2 ? 'stderr' : 'stdout', `filler line number ${i} ${'x'.repeat(20)}\n`, i)).join(''));
  const copies = Math.ceil((50 * 1024 * 1024) / block.length);
  const tailLines = Array.from({ length: 10 }, (_, i) => entry('stdout', `end ${i}\n`, 1e5 + i)).join('');
  await writeFile(p, Buffer.concat([...Array.from({ length: copies }, () => block), Buffer.from(tailLines)]));
  await collect(p, { tail: 10 }); // warm up (JIT, page cache) so the timing measures the algorithm
  const t = process.hrtime.bigint();
  const lines = await collect(p, { tail: 10, timestamps: true });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  assert.equal(lines.length, 10);
  assert.match(lines[0] ?? '', /^stdout:\S+Z end 0\n$/);
  assert.ok(ms < 200, `tail=10 took ${ms.toFixed(1)} ms`);
});
