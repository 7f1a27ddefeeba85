import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidParameterError } from '../../core/errors.js';
import { installNativeOps, uninstallNativeOps } from '../../core/native-ops.js';
import { ContentStore } from '../../store/content/content-store.js';
import { hostAddon } from './host-addon.js';
import { poolSha256 } from './host-hash.js';

const sha = (...parts: Buffer[]): string => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

test('this node exports the OpenSSL functions the pool SHA-256 looks up', () => {
  assert.equal(hostAddon().sha256Available(), true);
});

test('the pool SHA-256 gives node:crypto\'s digest for every shape of batches', async () => {
  const big = randomBytes(9 << 20);
  const cases: Buffer[][][] = [
    [],
    [[]],
    [[Buffer.alloc(0)]],
    [[Buffer.from('hello '), Buffer.from('world')]],
    [[big.subarray(0, 1)], [big.subarray(1, 65537), big.subarray(65537, 1 << 20)], [big.subarray(1 << 20)]],
    Array.from({ length: 300 }, (_, i) => [big.subarray(i * 1000, i * 1000 + 999), big.subarray(i * 1000 + 999, (i + 1) * 1000)]),
  ];
  for (const batches of cases) {
    const h = poolSha256();
    for (const b of batches) await h.update(b);
    assert.equal(h.digest(), sha(...batches.flat()), `${batches.length} batches`);
  }
});

test('one update at a time, a finished hash refuses more, and a bad argument is a TypeError', async () => {
  const addon = hostAddon();
  const h = addon.sha256Create();
  const first = addon.sha256Update(h, [randomBytes(4 << 20)]);
  assert.throws(() => addon.sha256Update(h, [Buffer.from('x')]), /one update at a time/);
  assert.throws(() => addon.sha256Digest(h), /one update at a time/);
  await first;
  addon.sha256Digest(h);
  assert.throws(() => addon.sha256Digest(h), /already finished/);
  assert.throws(() => addon.sha256Update(h, []), /already finished/);
  assert.throws(() => addon.sha256Update(addon.sha256Create(), ['text' as unknown as Buffer]), TypeError);
  assert.throws(() => addon.sha256Update({} as never, []), TypeError);
});

test('updates whose handle and buffers are dropped at once still finish (both are held until done)', async () => {
  const addon = hostAddon();
  const pending = Array.from({ length: 50 }, () => addon.sha256Update(addon.sha256Create(), [randomBytes(256 << 10)]));
  (globalThis as { gc?: () => void }).gc?.();
  await Promise.all(pending);
});

test('the content store hashes on the pool when berthd installs it: same digests, same refusals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hash-'));
  const data = randomBytes(5 << 20);
  const chunks = (): Readable => Readable.from(Array.from({ length: 80 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536)));
  try {
    for (const way of ['pool', 'node:crypto']) {
      if (way === 'pool') installNativeOps({ sha256: poolSha256 });
      try {
        const store = new ContentStore(join(dir, way));
        await store.init();
        const info = await store.writeStream(chunks());
        assert.equal(info.digest, `sha256:${sha(data)}`, way);
        assert.equal(info.size, data.length, way);
        assert.ok(readFileSync(store.blobPath(info.digest)).equals(data), way);
        await assert.rejects(store.writeStream(chunks(), { digest: `sha256:${'0'.repeat(64)}` }), InvalidParameterError, way);
      } finally {
        uninstallNativeOps();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
