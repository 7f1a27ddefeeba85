import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { sha256Digest, digestHex } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import { MEDIA_TYPES } from '../../../oci/image-types.js';
import { docker25Items, imageConfig, layerTar, legacyItems, ociLayoutItems, streamOf, tarOf, type FixtureImage, type TarItem } from './archive-fixtures.js';
import { createTestStack, makeTestRoot, removeTestRoot, type TestStack } from './archive-test-stack.js';
import { loadImages } from './image-loader.js';
import type { ProgressMessage } from './progress.js';

let root: string | undefined;
let stackNo = 0;
before(async () => {
  root = await makeTestRoot();
});
after(() => removeTestRoot(root));

const stack = (): Promise<TestStack> => createTestStack(join(root as string, `stack-${stackNo++}`));

async function load(s: TestStack, archive: Buffer, quiet = false): Promise<{ names: string[]; messages: ProgressMessage[] }> {
  const messages: ProgressMessage[] = [];
  const names = await loadImages(s.deps, streamOf(archive), { quiet, onProgress: (m) => messages.push(m) });
  return { names, messages };
}

/** busybox:latest + busybox:1.36 (one image) and other:1, sharing their base layer. */
async function twoImages(): Promise<{ base: FixtureImage; other: FixtureImage }> {
  const l1 = await layerTar({ 'bin/sh': 'shell' });
  const l2 = await layerTar({ 'etc/other': 'x' });
  return {
    base: { config: imageConfig([l1.diffId]), layers: [l1.tar], tags: ['busybox:latest', 'busybox:1.36'] },
    other: { config: imageConfig([l1.diffId, l2.diffId]), layers: [l1.tar, l2.tar], tags: ['other:1'] },
  };
}

describe('loadImages', () => {
  it('loads a docker 25 archive: image IDs, tags, docker progress messages', async () => {
    const s = await stack();
    const { base, other } = await twoImages();
    const { names, messages } = await load(s, await tarOf(docker25Items([base, other])));
    assert.deepEqual(names, ['busybox:latest', 'busybox:1.36', 'other:1']);
    assert.equal((await s.images.resolve('busybox:1.36')).id, sha256Digest(base.config));
    assert.equal((await s.images.resolve('other:1')).id, sha256Digest(other.config));
    const layerIds = messages.filter((m) => m.status === 'Loading layer').map((m) => m.id);
    assert.deepEqual(layerIds, [digestHex(sha256Digest(base.layers[0] as Buffer)).slice(0, 12), digestHex(sha256Digest(other.layers[1] as Buffer)).slice(0, 12)]);
    assert.deepEqual(messages.filter((m) => m.stream).map((m) => m.stream), ['Loaded image: busybox:latest\n', 'Loaded image: busybox:1.36\n', 'Loaded image: other:1\n']);
    assert.equal(s.images.leases.size, 0);
    // Loading again adds nothing and reports no layers.
    const again = await load(s, await tarOf(docker25Items([base, other])));
    assert.equal(again.messages.filter((m) => m.status).length, 0);
    // Only the two configs and two layers are kept, not the archive's manifests.
    assert.equal((await s.content.list()).length, 4);
  });

  it('says so when a tag moves from another image, and is quiet when asked', async () => {
    const s = await stack();
    const { base, other } = await twoImages();
    await load(s, await tarOf(docker25Items([base])));
    const moved = { ...other, tags: ['busybox:latest'] };
    const { messages } = await load(s, await tarOf(docker25Items([moved])), true);
    assert.equal(messages.some((m) => m.status === 'Loading layer'), false);
    assert.deepEqual(messages.map((m) => m.stream), [
      `The image busybox:latest already exists, renaming the old one with ID ${sha256Digest(base.config)} to empty string\n`,
      'Loaded image: busybox:latest\n',
    ]);
    assert.equal((await s.images.resolve('busybox')).id, sha256Digest(other.config));
  });

  it('loads a legacy (docker ≤ 24) archive with a symlinked repeated layer', async () => {
    const s = await stack();
    const { base, other } = await twoImages();
    const { names } = await load(s, await tarOf(legacyItems([base, other])));
    assert.deepEqual(names, ['busybox:latest', 'busybox:1.36', 'other:1']);
    assert.equal((await s.images.resolve('other:1')).id, sha256Digest(other.config));
  });

  it('loads an OCI layout with gzip layers through a multi-platform index', async () => {
    const s = await stack();
    const { other } = await twoImages();
    const { names } = await load(s, await tarOf(ociLayoutItems(other, 'example.com/app:v1')));
    assert.deepEqual(names, ['example.com/app:v1']);
    const img = await s.images.resolve('example.com/app:v1');
    assert.equal(img.id, sha256Digest(other.config));
    assert.deepEqual(img.record.layers.map((l) => l.mediaType), [MEDIA_TYPES.ociLayerGzip, MEDIA_TYPES.ociLayerGzip]);
  });

  it('leaves an image untagged when the layout names only a tag, and reads gzip and xz archives', async () => {
    const s = await stack();
    const { base } = await twoImages();
    const { names, messages } = await load(s, gzipSync(await tarOf(ociLayoutItems(base, 'latest'))));
    assert.deepEqual(names, [sha256Digest(base.config)]);
    assert.deepEqual(messages.filter((m) => m.stream).map((m) => m.stream), [`Loaded image ID: ${sha256Digest(base.config)}\n`]);
    const xz = execFileSync('xz', ['-c'], { input: await tarOf(ociLayoutItems(base, 'latest')) });
    assert.deepEqual((await load(await stack(), xz)).names, [sha256Digest(base.config)]);
  });
});

describe('loadImages failures leave the store as it was', () => {
  async function expectFailure(items: TarItem[] | Buffer, message: RegExp, kind: new (...a: never[]) => Error = InvalidParameterError): Promise<void> {
    const s = await stack();
    const { base } = await twoImages();
    await load(s, await tarOf(docker25Items([base]))); // something to keep
    const before = await s.fingerprint();
    const archive = Buffer.isBuffer(items) ? items : await tarOf(items);
    await assert.rejects(load(s, archive), (err: unknown) => {
      assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`);
      assert.match((err as Error).message, message);
      return true;
    });
    assert.equal(await s.fingerprint(), before);
    assert.equal(s.images.leases.size, 0);
  }

  /** A new image that retags busybox:latest, plus one whose problem the test adds. */
  async function archiveWith(): Promise<{ items: TarItem[]; other: FixtureImage }> {
    const { other } = await twoImages();
    return { items: docker25Items([{ ...other, tags: ['busybox:latest', 'new:1'] }]), other };
  }

  it('truncated archive', async () => {
    const full = await tarOf((await archiveWith()).items);
    await expectFailure(full.subarray(0, Math.floor(full.length / 2) + 100), /^invalid archive: unexpected end of file$/);
  });

  it('blob whose content does not match its name', async () => {
    const { items, other } = await archiveWith();
    const name = `blobs/sha256/${digestHex(sha256Digest(other.layers[1] as Buffer))}`;
    const bad = items.map((i) => (i.name === name ? { ...i, data: Buffer.from('tampered') } : i));
    await expectFailure(bad, new RegExp(`^invalid archive: blob sha256:${name.slice(13)} does not match its digest$`));
  });

  it('manifest.json naming a missing layer', async () => {
    const { items, other } = await archiveWith();
    const name = `blobs/sha256/${digestHex(sha256Digest(other.layers[1] as Buffer))}`;
    await expectFailure(items.filter((i) => i.name !== name), new RegExp(`^invalid archive: manifest.json references missing file ${name}$`));
  });

  it('layer that does not match the diff ID in its config', async () => {
    const l = await layerTar({ a: '1' });
    const wrong = { config: imageConfig([sha256Digest('something else')]), layers: [l.tar], tags: ['x:1'] };
    await expectFailure(docker25Items([wrong]), /^invalid archive: layer blobs\/sha256\/\w+ \(sha256:\w+\) does not match diff ID/);
  });

  it('a later image failing to unpack takes back the earlier ones', async () => {
    const { other } = await twoImages();
    const l = await layerTar({ b: '2' });
    // gzip hides the mismatch until the layer is unpacked, after the first image was added.
    const bad = { config: imageConfig([sha256Digest('not the layer')]), layers: [gzipSync(l.tar)], tags: ['bad:1'] };
    await expectFailure(docker25Items([{ ...other, tags: ['new:1'] }, bad]), /^invalid archive: layer sha256:\w+ does not match its diff ID/);
  });

  it('path traversal, non-regular blobs, bad JSON, no manifest at all', async () => {
    const { items } = await archiveWith();
    await expectFailure([{ name: '../evil', data: 'x' }, ...items], /^invalid archive: entry "..\/evil" points outside the archive$/);
    await expectFailure([...items, { name: `blobs/sha256/${'a'.repeat(64)}`, type: 'symlink', linkname: '/etc/passwd' }], /is a symlink, not a regular file/);
    await expectFailure([...items, { name: `blobs/sha256/${'b'.repeat(64)}`, type: 'fifo' }], /is a fifo, not a regular file/);
    await expectFailure(items.map((i) => (i.name === 'manifest.json' ? { ...i, data: '[{"Config": ' } : i)), /^invalid archive: manifest.json is not valid JSON$/);
    await expectFailure(items.filter((i) => i.name !== 'manifest.json' && i.name !== 'index.json'), /neither manifest.json nor index.json/);
  });

  it('corrupt gzip and bzip2 archives', async () => {
    const gz = gzipSync(await tarOf((await archiveWith()).items));
    gz.fill(0x55, Math.floor(gz.length / 3), Math.floor(gz.length / 3) + 64);
    await expectFailure(gz, /^invalid archive: /);
    await expectFailure(Buffer.from('BZh91AY&SYxxxxxxxxxxxx'), /^invalid archive: invalid bzip2 stream: bzip2: /);
  });
});
