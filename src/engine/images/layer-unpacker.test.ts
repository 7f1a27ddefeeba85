import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './image-gc.js';
import { LayerUnpacker } from './layer-unpacker.js';

// collectLayer touches no store: the unpacker's dependencies are never called here.
const unpacker = (): LayerUnpacker => new LayerUnpacker({} as ConstructorParameters<typeof LayerUnpacker>[0]);

test('garbage collection skips a layer leased by its chain ID (an image being added stands on it)', async () => {
  const removed: string[] = [];
  const deps = {
    images: { list: async () => [] },
    layers: { list: async () => [{ chainId: 'sha256:a', snapshotId: 'a' }, { chainId: 'sha256:b', snapshotId: 'b' }], delete: async () => undefined },
    snapshotter: { removeLayer: async (id: string) => void removed.push(id), listLayers: async () => ['c', 'd'] },
    content: { list: async () => [] },
  } as unknown as Parameters<typeof collectGarbage>[0];
  const leased = new Set(['sha256:a', 'sha256:c']);
  await collectGarbage(deps, { has: (d) => leased.has(d) }, unpacker());
  // b has a record and no image; d is a directory without a record; a and c are leased.
  assert.deepEqual(removed.sort(), ['b', 'd']);
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
