import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { ImageLastUse } from './image-last-use.js';

const A = `sha256:${'a'.repeat(64)}` as Digest;
const B = `sha256:${'b'.repeat(64)}` as Digest;

describe('ImageLastUse', () => {
  it('keeps the latest touch of each image, writes it to one file and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'last-use-'));
    try {
      const file = join(dir, 'last-used.json');
      const s = new ImageLastUse(file, 10_000);
      await s.init();
      s.touch(A, 2000);
      s.touch(A, 1000); // an older touch does not move it back
      s.touch(B, 3000);
      s.forget(B);
      await s.flush();
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { [A]: 2000 });
      const again = new ImageLastUse(file);
      await again.init();
      assert.equal(again.get(A), 2000);
      assert.equal(again.get(B), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a damaged file only makes images look unused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'last-use-'));
    try {
      const file = join(dir, 'last-used.json');
      await writeFile(file, '{"sha256:');
      const s = new ImageLastUse(file);
      await s.init();
      assert.equal(s.get(A), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
