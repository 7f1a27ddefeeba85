import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { digestHex, sha256Digest, type Digest } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import type { DetachedLayer } from '../../../drivers/snapshotter/snapshotter.js';
import { AHEAD_MIN_BYTES } from '../unpack-ahead.js';
import { docker25Items, imageConfig, legacyItems, ociLayoutItems, streamOf, tarOf, type FixtureImage } from './archive-fixtures.js';
import { createTestStack, makeTestRoot, removeTestRoot, type TestStack } from './archive-test-stack.js';
import { loadImages } from './image-loader.js';

let root: string | undefined;
let stackNo = 0;
before(async () => {
  root = await makeTestRoot();
});
after(() => removeTestRoot(root));

interface Counted {
  stack: TestStack;
  calls: { unpacked: number; adopted: number; discarded: number };
}

/** An overlay2 stack whose detached unpacks are counted. */
async function stack(): Promise<Counted> {
  const s = await createTestStack(join(root as string, `stack-${stackNo++}`), 'overlay2');
  const calls = { unpacked: 0, adopted: 0, discarded: 0 };
  const snap = s.snapshotter as { unpackDetached?: (tar: Readable) => Promise<DetachedLayer> };
  const real = snap.unpackDetached?.bind(s.snapshotter);
  assert.ok(real, 'overlay2 unpacks detached layers');
  snap.unpackDetached = async (tar) => {
    calls.unpacked++;
    const d = await real(tar);
    return {
      size: d.size,
      adopt: async (id, parent) => {
        calls.adopted++;
        await d.adopt(id, parent);
      },
      discard: async () => {
        calls.discarded++;
        await d.discard();
      },
    };
  };
  return { stack: s, calls };
}

const load = (s: TestStack, archive: Buffer): Promise<string[]> => loadImages(s.deps, streamOf(archive), { quiet: true, onProgress: () => undefined });

/** A layer big enough to be unpacked ahead: a file of random bytes, and a small one. */
async function bigLayer(name: string): Promise<{ tar: Buffer; diffId: Digest; data: Buffer }> {
  const data = randomBytes(AHEAD_MIN_BYTES + 4096);
  const tar = await tarOf([{ name: `${name}/`, type: 'directory' }, { name: `${name}/data.bin`, data }, { name: `${name}/note`, data: name }]);
  return { tar, diffId: sha256Digest(tar), data };
}

async function twoLayerImage(tags: string[]): Promise<{ img: FixtureImage; data: Buffer[] }> {
  const a = await bigLayer('a');
  const b = await bigLayer('b');
  return { img: { config: imageConfig([a.diffId, b.diffId]), layers: [a.tar, b.tar], tags }, data: [a.data, b.data] };
}

/** What the loaded image's layers hold on disk (each has one directory) and the scratch dir's leftovers. */
async function onDisk(s: TestStack, ref: string): Promise<{ files: Buffer[]; notes: string[]; scratch: string[] }> {
  const record = await s.imageStore.get((await s.images.resolve(ref)).id);
  const files: Buffer[] = [];
  const notes: string[] = [];
  for (const layer of await s.layers.list()) {
    const dir = s.snapshotter.layerPath(layer.snapshotId);
    for (const name of await readdir(dir)) {
      files.push(await readFile(join(dir, name, 'data.bin')));
      notes.push(await readFile(join(dir, name, 'note'), 'utf8'));
    }
  }
  assert.equal(files.length, record?.layers.length);
  return { files, notes: notes.sort(), scratch: await readdir(join(s.root, 'overlay2', 'tmp')) };
}

describe('a load unpacks its layers as the archive streams (overlay2)', () => {
  it('docker 25 archive: every layer unpacked once, while streaming, with the same files', async () => {
    const { stack: s, calls } = await stack();
    const { img, data } = await twoLayerImage(['ahead:1']);
    assert.deepEqual(await load(s, await tarOf(docker25Items([img]))), ['ahead:1']);
    assert.deepEqual(calls, { unpacked: 2, adopted: 2, discarded: 0 });
    const disk = await onDisk(s, 'ahead:1');
    assert.deepEqual(disk.notes, ['a', 'b']);
    assert.equal(disk.files.length, 2);
    for (const d of data) assert.ok(disk.files.some((f) => f.equals(d)));
    assert.deepEqual(disk.scratch, []);
    // The layers stack as the config says: the top one's lower file names the base.
    const [base, top] = (await s.layers.list()).sort((x, y) => (x.parent === null ? -1 : y.parent === null ? 1 : 0));
    assert.equal(base?.parent, null);
    assert.equal(top?.parent, base?.chainId);
    const lower = await readFile(join(s.root, 'overlay2', 'layers', top?.snapshotId ?? '', 'lower'), 'utf8');
    assert.equal(lower, base?.snapshotId);
  });

  it('gzip layers of an OCI layout: adopted once their uncompressed bytes hash to the diff IDs', async () => {
    const { stack: s, calls } = await stack();
    const { img } = await twoLayerImage([]);
    assert.equal((await load(s, await tarOf(ociLayoutItems(img, 'gz:1')))).length, 1);
    assert.deepEqual(calls, { unpacked: 2, adopted: 2, discarded: 0 });
    assert.deepEqual((await onDisk(s, 'gz:1')).notes, ['a', 'b']);
  });

  it('a legacy archive (<id>/layer.tar): found by the digest the store computed', async () => {
    const { stack: s, calls } = await stack();
    const { img } = await twoLayerImage(['legacy:1']);
    await load(s, await tarOf(legacyItems([img])));
    assert.deepEqual(calls, { unpacked: 2, adopted: 2, discarded: 0 });
    assert.deepEqual((await onDisk(s, 'legacy:1')).scratch, []);
  });

  it('a layer already there: its unpack is discarded, nothing is left in scratch', async () => {
    const { stack: s, calls } = await stack();
    const { img } = await twoLayerImage(['first:1']);
    await load(s, await tarOf(docker25Items([img])));
    await load(s, await tarOf(docker25Items([{ ...img, tags: ['second:1'] }])));
    assert.deepEqual(calls, { unpacked: 4, adopted: 2, discarded: 2 });
    assert.equal((await s.images.resolve('second:1')).id, sha256Digest(img.config));
    assert.deepEqual((await onDisk(s, 'second:1')).scratch, []);
  });

  it('a gzip layer whose diff ID is wrong: the unpack is discarded and the load fails as before', async () => {
    const { stack: s, calls } = await stack();
    const { img } = await twoLayerImage([]);
    const bad = { ...img, config: imageConfig([img.layers[0] ? sha256Digest(img.layers[0]) : 'x', sha256Digest('not the layer')]) };
    const before = await s.fingerprint();
    await assert.rejects(load(s, await tarOf(ociLayoutItems(bad, 'bad:1'))), (err: unknown) => err instanceof InvalidParameterError && /does not match its diff ID/.test(err.message));
    assert.equal(calls.unpacked, 2);
    assert.equal(calls.adopted, 1);
    assert.equal(await s.fingerprint(), before);
    assert.deepEqual(await readdir(join(s.root, 'overlay2', 'tmp')), []);
  });

  it('an archive cut inside a layer blob: the unpack stops and leaves nothing', async () => {
    const { stack: s, calls } = await stack();
    const { img } = await twoLayerImage(['cut:1']);
    const full = await tarOf(docker25Items([img]));
    const layer = `blobs/sha256/${digestHex(sha256Digest(img.layers[1] as Buffer))}`;
    const at = full.indexOf(Buffer.from(layer));
    assert.ok(at > 0);
    const before = await s.fingerprint();
    await assert.rejects(load(s, full.subarray(0, at + 512 + (AHEAD_MIN_BYTES >> 1))), /unexpected end of file/);
    assert.ok(calls.unpacked >= 1);
    assert.equal(calls.adopted, 0);
    assert.equal(await s.fingerprint(), before);
    assert.deepEqual(await readdir(join(s.root, 'overlay2', 'tmp')), []);
  });

  it('a big blob that is no layer is only stored; small layers are unpacked from the store', async () => {
    const { stack: s, calls } = await stack();
    const small = await tarOf([{ name: 'small', data: 'x' }]);
    const img = { config: imageConfig([sha256Digest(small)]), layers: [small], tags: ['small:1'] };
    const junk = randomBytes(AHEAD_MIN_BYTES * 2);
    const items = [...docker25Items([img]), { name: `blobs/sha256/${digestHex(sha256Digest(junk))}`, data: junk }];
    await load(s, await tarOf(items));
    assert.deepEqual(calls, { unpacked: 0, adopted: 0, discarded: 0 });
    assert.equal((await s.images.resolve('small:1')).id, sha256Digest(img.config));
  });
});
