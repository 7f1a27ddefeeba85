import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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

test('deleteUnless: the blob is gone at once when not kept, kept when asked, and a missing one is no error', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  try {
    const store = new ContentStore(root);
    await store.init();
    const a = await store.writeBytes('blob a');
    const b = await store.writeBytes('blob b');
    store.deleteUnless(a.digest, () => false);
    store.deleteUnless(b.digest, () => true);
    // Synchronously: no lease can come between the check and the blob leaving its path.
    assert.equal(await store.has(a.digest), false);
    assert.equal(await store.has(b.digest), true);
    store.deleteUnless(a.digest, () => false);
    // What was moved aside is unlinked shortly after, or at the next start.
    const deleting = join(root, 'deleting');
    for (let i = 0; i < 50 && (await readdir(deleting)).length > 0; i++) await sleep(10);
    assert.deepEqual(await readdir(deleting), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
