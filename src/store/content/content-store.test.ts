import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore } from './content-store.js';

test('freshlyWritten: a blob this store hashed as it wrote it, not one it found there or a new process\'s', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  try {
    const store = new ContentStore(root);
    await store.init();
    const streamed = await store.writeStream(Readable.from([Buffer.from('layer bytes')]));
    const bytes = await store.writeBytes('config bytes');
    assert.equal(store.freshlyWritten(streamed.digest), true);
    assert.equal(store.freshlyWritten(bytes.digest), true);
    const again = new ContentStore(root);
    await again.init();
    await again.writeStream(Readable.from([Buffer.from('layer bytes')]));
    assert.equal(again.freshlyWritten(streamed.digest), false, 'already stored: the file on disk was not the one hashed');
    assert.equal((await again.readBytes(streamed.digest)).toString(), 'layer bytes');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
