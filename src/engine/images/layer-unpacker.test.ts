import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LayerUnpacker } from './layer-unpacker.js';

// hold and collectLayer touch no store: the unpacker's dependencies are never called here.
const unpacker = (): LayerUnpacker => new LayerUnpacker({} as ConstructorParameters<typeof LayerUnpacker>[0]);

test('a held layer is not collected until every holder released it', async () => {
  const u = unpacker();
  let removed = 0;
  const remove = async (): Promise<void> => {
    removed++;
  };
  const first = u.hold(['sha256:a', 'sha256:b']);
  const second = u.hold(['sha256:a']);
  assert.equal(await u.collectLayer('sha256:a', remove), false);
  first();
  first(); // a second call changes nothing
  assert.equal(await u.collectLayer('sha256:a', remove), false, 'still held by the second image');
  assert.equal(await u.collectLayer('sha256:b', remove), true);
  second();
  assert.equal(await u.collectLayer('sha256:a', remove), true);
  assert.equal(removed, 2);
});

test('a layer being removed is not claimed twice, and its removal failing frees it again', async () => {
  const u = unpacker();
  let finish!: () => void;
  const slow = u.collectLayer('sha256:c', () => new Promise<void>((r) => (finish = r)));
  assert.equal(await u.collectLayer('sha256:c', async () => undefined), false);
  finish();
  assert.equal(await slow, true);
  await assert.rejects(u.collectLayer('sha256:d', () => Promise.reject(new Error('EBUSY'))), /EBUSY/);
  assert.equal(await u.collectLayer('sha256:d', async () => undefined), true);
});
