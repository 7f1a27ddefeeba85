import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogTail } from './removed-record.js';

const line = (n: number): string => `${JSON.stringify({ log: `line ${n}\n`, stream: 'stdout', time: '2026-12-07T06:00:00.000000001Z' })}\n`;
const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('');

describe('the kept log tail of a removed container', () => {
  const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tail-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('keeps a short log whole, without a torn last entry', async () => {
    await withDir(async (dir) => {
      const log = join(dir, 'c-json.log');
      await writeFile(log, `${lines(1, 3)}{"log":"torn`);
      const tail = await readLogTail(log);
      assert.equal(tail.data.toString(), lines(1, 3));
      assert.equal(tail.truncated, false);
    });
  });

  it('keeps the newest whole lines up to the cap', async () => {
    await withDir(async (dir) => {
      const log = join(dir, 'c-json.log');
      await writeFile(log, lines(1, 100));
      const tail = await readLogTail(log, Buffer.byteLength(lines(91, 100)) + 5);
      assert.equal(tail.data.toString(), lines(91, 100));
      assert.equal(tail.truncated, true);
    });
  });

  it('reads rotated files, gzipped or not, when the live one is shorter', async () => {
    await withDir(async (dir) => {
      const log = join(dir, 'c-json.log');
      await writeFile(`${log}.2.gz`, gzipSync(lines(1, 10)));
      await writeFile(`${log}.1`, lines(11, 20));
      await writeFile(log, lines(21, 22));
      assert.deepEqual(await readLogTail(log), { data: Buffer.from(lines(1, 22)), truncated: false });
      const tail = await readLogTail(log, Buffer.byteLength(lines(8, 22)));
      assert.equal(tail.data.toString(), lines(8, 22));
      assert.equal(tail.truncated, true);
    });
  });

  it('is empty for a container without a log', async () => {
    assert.deepEqual(await readLogTail(''), { data: Buffer.alloc(0), truncated: false });
    await withDir(async (dir) => assert.deepEqual(await readLogTail(join(dir, 'none.log')), { data: Buffer.alloc(0), truncated: false }));
  });
});
