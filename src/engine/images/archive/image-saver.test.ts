import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tarStream from 'tar-stream';
import { digestHex, sha256Digest } from '../../../core/digest.js';
import { NotFoundError } from '../../../core/errors.js';
import { MEDIA_TYPES } from '../../../oci/image-types.js';
import { docker25Items, imageConfig, layerTar, ociLayoutItems, streamOf, tarOf, type FixtureImage } from './archive-fixtures.js';
import { createTestStack, makeTestRoot, removeTestRoot, type TestStack } from './archive-test-stack.js';
import { loadImages } from './image-loader.js';
import { saveImages } from './image-saver.js';

let root: string | undefined;
let stackNo = 0;
before(async () => {
  root = await makeTestRoot();
});
after(() => removeTestRoot(root));

const stack = (): Promise<TestStack> => createTestStack(join(root as string, `stack-${stackNo++}`));
const load = (s: TestStack, archive: Buffer): Promise<string[]> => loadImages(s.deps, streamOf(archive), { quiet: true, onProgress: () => undefined });

interface Entry {
  name: string;
  type: string;
  data: Buffer;
}

async function readTar(stream: Readable): Promise<Entry[]> {
  const extract = tarStream.extract();
  stream.pipe(extract);
  const out: Entry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ name: entry.header.name, type: entry.header.type ?? 'file', data: Buffer.concat(chunks) });
  }
  return out;
}

const json = (entries: Entry[], name: string): unknown => JSON.parse((entries.find((e) => e.name === name) as Entry).data.toString());

async function fixtures(): Promise<{ base: FixtureImage; other: FixtureImage }> {
  const l1 = await layerTar({ 'bin/sh': 'shell' });
  const l2 = await layerTar({ 'etc/other': 'x' });
  return {
    base: { config: imageConfig([l1.diffId]), layers: [l1.tar], tags: ['busybox:latest', 'busybox:1.36'] },
    other: { config: imageConfig([l1.diffId, l2.diffId], { created: '2024-05-06T00:00:00Z' }), layers: [l1.tar, l2.tar], tags: ['other:1'] },
  };
}

describe('saveImages', () => {
  it("writes docker 25's layout, and loading it back keeps IDs and tags", async () => {
    const a = await stack();
    const { base, other } = await fixtures();
    await load(a, await tarOf(docker25Items([base, other])));
    const entries = await readTar(await saveImages(a.deps, ['busybox', 'other:1']));
    const baseId = sha256Digest(base.config);
    const blobs = [base.config, other.config, ...other.layers].map((b) => `blobs/sha256/${digestHex(sha256Digest(b))}`);
    const names = entries.map((e) => e.name);
    assert.deepEqual(names.slice(0, 2), ['blobs/', 'blobs/sha256/']);
    assert.deepEqual(names.slice(-4), ['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    const blobNames = names.slice(2, -4);
    assert.deepEqual(blobNames, [...blobNames].sort(), 'blobs in sorted order');
    assert.equal(blobNames.length, 6, 'two configs, two layers (the shared one once), two manifests');
    for (const b of blobs) assert.ok(blobNames.includes(b), b);
    for (const e of entries.filter((x) => x.type === 'file' && x.name.startsWith('blobs/sha256/'))) assert.equal(digestHex(sha256Digest(e.data)), e.name.slice(13));
    assert.deepEqual(json(entries, 'manifest.json'), [
      { Config: `blobs/sha256/${digestHex(baseId)}`, RepoTags: ['busybox:1.36', 'busybox:latest'], Layers: [blobs[2]] },
      { Config: blobs[1], RepoTags: ['other:1'], Layers: [blobs[2], blobs[3]] },
    ]);
    const index = json(entries, 'index.json') as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    assert.deepEqual(index.manifests.map((m) => m.annotations), [
      { 'io.containerd.image.name': 'docker.io/library/busybox:1.36', 'org.opencontainers.image.ref.name': '1.36' },
      { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
      { 'io.containerd.image.name': 'docker.io/library/other:1', 'org.opencontainers.image.ref.name': '1' },
    ]);
    const manifest = JSON.parse((entries.find((e) => e.name === `blobs/sha256/${digestHex(index.manifests[0]?.digest as `sha256:${string}`)}`) as Entry).data.toString());
    assert.equal(manifest.mediaType, MEDIA_TYPES.ociManifest);
    assert.equal(manifest.config.mediaType, MEDIA_TYPES.ociConfig);
    assert.deepEqual(manifest.layers, [{ mediaType: MEDIA_TYPES.ociLayer, digest: sha256Digest(base.layers[0] as Buffer), size: (base.layers[0] as Buffer).length }]);
    assert.deepEqual(json(entries, 'oci-layout'), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(json(entries, 'repositories'), { busybox: { latest: blobs[2]?.slice(13), '1.36': blobs[2]?.slice(13) }, other: { 1: blobs[3]?.slice(13) } });

    const b = await stack();
    const archive = await tarOf(entries.map((e) => ({ name: e.name, data: e.data, type: e.type as 'file' })));
    assert.deepEqual(await load(b, archive), ['busybox:1.36', 'busybox:latest', 'other:1']);
    assert.equal((await b.images.resolve('busybox:latest')).id, baseId);
    assert.equal((await b.images.resolve('other:1')).id, sha256Digest(other.config));
  });

  it('writes compressed layers uncompressed, so the saved image loads with the same ID', async () => {
    const a = await stack();
    const { other } = await fixtures();
    await load(a, await tarOf(ociLayoutItems(other, 'example.com/app:v1')));
    const entries = await readTar(await saveImages(a.deps, ['example.com/app:v1']));
    for (const layer of other.layers) {
      const e = entries.find((x) => x.name === `blobs/sha256/${digestHex(sha256Digest(layer))}`);
      assert.ok(e && e.data.equals(layer), 'layer saved as its uncompressed tar');
    }
    const b = await stack();
    await load(b, await tarOf(entries.map((e) => ({ name: e.name, data: e.data, type: e.type as 'file' }))));
    const img = await b.images.resolve('example.com/app:v1');
    assert.equal(img.id, sha256Digest(other.config));
    assert.deepEqual(img.record.layers.map((l) => l.mediaType), [MEDIA_TYPES.ociLayer, MEDIA_TYPES.ociLayer]);
  });

  it('records no tag for an image named by ID, only the named tag for name:tag', async () => {
    const a = await stack();
    const { base } = await fixtures();
    await load(a, await tarOf(docker25Items([base])));
    const id = sha256Digest(base.config);
    const byId = await readTar(await saveImages(a.deps, [digestHex(id).slice(0, 12)]));
    assert.deepEqual((json(byId, 'manifest.json') as Array<{ RepoTags: unknown }>)[0]?.RepoTags, null);
    assert.equal((json(byId, 'index.json') as { manifests: Array<{ annotations?: unknown }> }).manifests[0]?.annotations, undefined);
    assert.equal(byId.some((e) => e.name === 'repositories'), false);
    const byTag = await readTar(await saveImages(a.deps, ['busybox:1.36', id]));
    assert.deepEqual(json(byTag, 'manifest.json'), [{ Config: `blobs/sha256/${digestHex(id)}`, RepoTags: ['busybox:1.36'], Layers: [`blobs/sha256/${digestHex(sha256Digest(base.layers[0] as Buffer))}`] }]);
  });

  it('fails before producing a stream when a name resolves to nothing', async () => {
    const a = await stack();
    const { base } = await fixtures();
    await load(a, await tarOf(docker25Items([base])));
    await assert.rejects(saveImages(a.deps, ['busybox', 'nope']), (err: unknown) => err instanceof NotFoundError && err.message === 'No such image: nope:latest');
  });
});
