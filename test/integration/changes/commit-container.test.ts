import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { chainIds, digestHex, sha256Digest, type Digest } from '../../../src/core/digest.js';
import { InvalidParameterError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Snapshotter } from '../../../src/drivers/snapshotter/snapshotter.js';
import { commitContainer, EMPTY_TAR_DIGEST } from '../../../src/engine/rootfs/commit-layer.js';
import { ImageService } from '../../../src/engine/images/image-service.js';
import { MEDIA_TYPES, type ImageConfig, type ImageRunConfig } from '../../../src/oci/image-types.js';
import { ContentStore } from '../../../src/store/content/content-store.js';
import { LayerStore } from '../../../src/store/layers/layer-store.js';
import { ImageStore } from '../../../src/store/metadata/image-store.js';
import { ReferenceStore } from '../../../src/store/metadata/reference-store.js';
import { tarBuffer } from '../snapshotter/tar-fixture.js';
import { BASE_LAYER, DRIVER_NAMES, TOP_LAYER, changeContainer, createSnapshotter, describeFullTree, makeChangesTestDir, removeChangesTestDir, type DriverName } from './changes-fixture.js';

interface Stack {
  content: ContentStore;
  imageStore: ImageStore;
  images: ImageService;
  snap: Snapshotter;
  snapRoot: string;
}

/** A real image stack (like archive-test-stack.ts) on either driver. */
async function createStack(root: string, driver: DriverName): Promise<Stack> {
  const content = new ContentStore(join(root, 'content'));
  const imageStore = new ImageStore(join(root, 'images'));
  const refs = new ReferenceStore(join(root, 'repositories.json'));
  const layers = new LayerStore(join(root, 'layers'));
  for (const s of [content, imageStore, refs, layers]) await s.init();
  const snapRoot = join(root, driver);
  const snap = await createSnapshotter(driver, snapRoot);
  const images = new ImageService({ content, images: imageStore, refs, layers, snapshotter: snap, log: silentLogger() });
  return { content, imageStore, images, snap, snapRoot };
}

const RUN_CONFIG: ImageRunConfig = { Cmd: ['/bin/sh', '-c', 'work'], Env: ['PATH=/bin'], WorkingDir: '/' };

async function addBaseImage(stack: Stack): Promise<Digest> {
  const layers = [];
  for (const entries of [BASE_LAYER, TOP_LAYER]) {
    const blob = await stack.content.writeBytes(await tarBuffer(entries));
    layers.push({ diffId: blob.digest, digest: blob.digest, mediaType: MEDIA_TYPES.ociLayer, size: blob.size });
  }
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '2020-02-02T02:02:02Z',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [{ created: '2020-02-02T02:02:02Z', created_by: 'base' }, { created: '2020-02-02T02:02:02Z', created_by: 'top' }],
  };
  return await stack.images.addImage({ config: Buffer.from(JSON.stringify(config)), layers });
}

/** The snapshot ID of an image's top layer (the parent of its containers' rootfs). */
async function topSnapshot(stack: Stack, imageId: Digest): Promise<string> {
  const { record } = await stack.images.resolve(imageId);
  const top = chainIds(record.layers.map((l) => l.diffId)).at(-1);
  assert.ok(top);
  return digestHex(top);
}

for (const driver of DRIVER_NAMES) {
  describe(`commitContainer: ${driver}`, () => {
    let base: string | undefined;
    let stack: Stack;
    let parentId: Digest;
    let parentSnapshot: string;

    before(async () => {
      base = await makeChangesTestDir();
      stack = await createStack(base, driver);
      parentId = await addBaseImage(stack);
      parentSnapshot = await topSnapshot(stack, parentId);
    });

    after(async () => {
      await removeChangesTestDir(base);
    });

    async function container(id: string, change: boolean): Promise<{ mounted: string; diff: () => Readable }> {
      await stack.snap.createRootfs(id, parentSnapshot);
      const mounted = await stack.snap.mountRootfs(id);
      if (change) await changeContainer(mounted);
      return { mounted, diff: () => stack.snap.diff(id, parentSnapshot) };
    }

    it('adds a layer of the changes and a config built from the container', async () => {
      const c = await container('c1', true);
      const calls: string[] = [];
      const id = await commitContainer(stack, {
        parentImageId: parentId,
        diff: c.diff,
        containerId: 'c1',
        containerConfig: RUN_CONFIG,
        changeInstructions: ['CMD ["echo", "hi"]', 'ENV A=b'],
        author: 'me <me@example.com>',
        comment: 'snapshot',
        pause: { pause: async () => void calls.push('pause'), unpause: async () => void calls.push('unpause') },
      });
      assert.deepEqual(calls, ['pause', 'unpause']);
      const img = await stack.images.resolve(id);
      const parent = await stack.images.resolve(parentId);
      assert.equal(img.record.parent, parentId);
      assert.equal(img.record.layers.length, 3);
      assert.deepEqual(img.record.layers.slice(0, 2), parent.record.layers);
      const cfg = img.config;
      assert.deepEqual(cfg.rootfs.diff_ids.slice(0, 2), parent.config.rootfs.diff_ids);
      assert.equal(cfg.rootfs.diff_ids.length, 3);
      assert.deepEqual(cfg.config, { Cmd: ['echo', 'hi'], Env: ['PATH=/bin', 'A=b'], WorkingDir: '/' });
      assert.deepEqual(cfg.container_config, RUN_CONFIG);
      assert.equal(cfg.container, 'c1');
      assert.equal(cfg.author, 'me <me@example.com>');
      assert.equal(cfg.comment, 'snapshot');
      assert.deepEqual([cfg.architecture, cfg.os], ['amd64', 'linux']);
      assert.equal(cfg.history?.length, 3);
      assert.deepEqual({ ...cfg.history?.[2], created: '' }, { created: '', author: 'me <me@example.com>', created_by: '/bin/sh -c work', comment: 'snapshot' });
      assert.ok(Date.now() - Date.parse(cfg.created ?? '') < 60_000);
      assert.deepEqual(Object.keys(JSON.parse((await stack.content.readBytes(id)).toString()) as object), Object.keys(cfg).sort(), 'keys sorted as docker writes them');
      // The image, run as a new container, shows the committed container's files.
      await stack.snap.createRootfs('from-commit', await topSnapshot(stack, id));
      assert.deepEqual(await describeFullTree(await stack.snap.mountRootfs('from-commit')), await describeFullTree(c.mounted));
    });

    it('adds no layer for a container that changed nothing, as docker does', async () => {
      const c = await container('c0', false);
      const id = await commitContainer(stack, { parentImageId: parentId, diff: c.diff, containerId: 'c0', containerConfig: RUN_CONFIG, changeInstructions: [] });
      const img = await stack.images.resolve(id);
      const parent = await stack.images.resolve(parentId);
      assert.deepEqual(img.record.layers, parent.record.layers);
      assert.deepEqual(img.config.rootfs.diff_ids, parent.config.rootfs.diff_ids);
      assert.equal(img.config.history?.at(-1)?.empty_layer, true);
      assert.equal(img.config.author, undefined);
      assert.deepEqual(img.config.config, RUN_CONFIG);
      assert.equal(EMPTY_TAR_DIGEST, sha256Digest(Buffer.alloc(1024)));
    });

    it('checks --change before reading or storing anything', async () => {
      const c = await container('c2', true);
      const before = (await stack.imageStore.list()).length;
      const blobs = (await stack.content.list()).length;
      let paused = false;
      await assert.rejects(
        commitContainer(stack, {
          parentImageId: parentId,
          diff: c.diff,
          containerId: 'c2',
          containerConfig: RUN_CONFIG,
          changeInstructions: ['RUN rm -rf /'],
          pause: { pause: async () => void (paused = true), unpause: async () => undefined },
        }),
        InvalidParameterError,
      );
      assert.equal(paused, false);
      assert.equal((await stack.imageStore.list()).length, before);
      assert.equal((await stack.content.list()).length, blobs);
    });
  });
}
