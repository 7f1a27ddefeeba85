import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScratchDir } from './scratch-dir.js';

test('ScratchDir: removeNow parks a path at once and deletes it after; init clears what a stop left', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-scratch-'));
  try {
    const scratch = new ScratchDir(join(root, 'scratch'));
    await scratch.init();
    const file = join(root, 'blob');
    await writeFile(file, 'bytes');
    assert.equal(scratch.removeNow(file), true);
    assert.deepEqual(await readdir(root), ['scratch'], 'gone from its path before removeNow returned');
    assert.equal(scratch.removeNow(file), false, 'nothing there');
    for (let i = 0; i < 50 && (await readdir(scratch.dir)).length > 0; i++) await sleep(10);
    assert.deepEqual(await readdir(scratch.dir), []);
    await writeFile(join(scratch.dir, 'left'), 'by a stop before the unlink');
    await new ScratchDir(scratch.dir).init();
    assert.deepEqual(await readdir(scratch.dir), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
