import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { hearErrors, MAX_PENDING, writeChunks } from './file-sink.js';

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-file-sink-'));
  try {
    await fn(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function* chunks(sizes: number[]): AsyncGenerator<Buffer> {
  let n = 0;
  for (const size of sizes) {
    yield Buffer.alloc(size, n++ % 251);
    // Let the write in flight finish now and then, so batches of every size occur.
    if (n % 7 === 0) await new Promise((r) => setImmediate(r));
  }
}

test('writeChunks writes every chunk in order and shows each to onChunk first', async () => {
  await withFile(async (path) => {
    const sizes = [1, 65536, 3, 0, MAX_PENDING + 17, 4096, ...Array.from({ length: 40 }, (_, i) => 1000 + i * 977)];
    const seen: number[] = [];
    const fh = await open(path, 'w');
    let total: number;
    try {
      total = await writeChunks(fh, chunks(sizes), (c) => {
        seen.push(c.length);
      });
    } finally {
      await fh.close();
    }
    const expected = Buffer.concat(sizes.map((s, i) => Buffer.alloc(s, i % 251)));
    assert.equal(total, expected.length);
    assert.deepEqual(seen, sizes.filter((s) => s > 0), 'empty chunks are skipped');
    assert.ok((await readFile(path)).equals(expected));
  });
});

test('writeChunks: a chunk refused by onChunk stops the write and rejects with that error', async () => {
  await withFile(async (path) => {
    const fh = await open(path, 'w');
    try {
      let n = 0;
      await assert.rejects(
        writeChunks(fh, chunks(Array.from({ length: 50 }, () => 10_000)), () => {
          if (++n === 30) throw new Error('too big');
        }),
        /too big/,
      );
    } finally {
      await fh.close();
    }
    assert.ok((await readFile(path)).length < 30 * 10_000, 'the refused chunk was not written');
  });
});

test('writeChunks: a failing write rejects (a handle opened read-only)', async () => {
  await withFile(async (path) => {
    await (await open(path, 'w')).close();
    const fh = await open(path, 'r');
    try {
      await assert.rejects(writeChunks(fh, chunks([100, 200, 300])), { code: 'EBADF' });
    } finally {
      await fh.close();
    }
  });
});

test('writeChunks: a failing source rejects after the write in flight settles', async () => {
  await withFile(async (path) => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(5000, 1);
      throw new Error('connection reset');
    }
    const fh = await open(path, 'w');
    try {
      await assert.rejects(writeChunks(fh, failing()), /connection reset/);
    } finally {
      await fh.close();
    }
  });
});

test('hearErrors: a stream failing before anyone iterates it fails the writer later, not the process', async () => {
  await withFile(async (path) => {
    const source = new PassThrough();
    hearErrors(source);
    source.destroy(new Error('window too large'));
    // An unheard 'error' would be thrown here, on the next tick.
    await new Promise((r) => setImmediate(r));
    const fh = await open(path, 'w');
    try {
      await assert.rejects(writeChunks(fh, source), /window too large/);
    } finally {
      await fh.close();
    }
  });
});
