import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { Snapshotter } from '../../../src/drivers/snapshotter/snapshotter.js';
import { diffChanges } from '../../../src/drivers/snapshotter/diff/container-diff.js';
import { changesTar } from '../../../src/drivers/snapshotter/diff/layer-diff.js';
import type { ChangesSource } from '../../../src/drivers/snapshotter/diff/change-types.js';
import { layerTar } from '../snapshotter/tar-fixture.js';
import {
  BASE_LAYER,
  DRIVER_NAMES,
  EXPECTED_DIFF,
  TOP_LAYER,
  changeContainer,
  changesSourceOf,
  createSnapshotter,
  describeFullTree,
  formatChanges,
  makeChangesTestDir,
  removeChangesTestDir,
  type DriverName,
} from './changes-fixture.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** `name type [-> link]` of each entry, in tar order. */
async function tarListing(tar: Buffer): Promise<string[]> {
  const out: string[] = [];
  const extract = tarStream.extract();
  Readable.from([tar]).pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    out.push(`${h.name} ${h.type}${h.linkname ? ` -> ${h.linkname}` : ''}`);
    entry.resume();
  }
  return out;
}

for (const driver of DRIVER_NAMES) {
  describe(`container diff and commit layer: ${driver}`, () => {
    let base: string | undefined;
    let snap: Snapshotter;
    let snapRoot: string;
    let container: string;
    let source: ChangesSource;

    before(async () => {
      base = await makeChangesTestDir();
      snapRoot = join(base, driver);
      snap = await createSnapshotter(driver as DriverName, snapRoot);
      await snap.createLayer('l1', null, await layerTar(BASE_LAYER));
      await snap.createLayer('l2', 'l1', await layerTar(TOP_LAYER));
      await snap.createRootfs('c1', 'l2');
      container = await snap.mountRootfs('c1');
      await changeContainer(container);
      source = changesSourceOf(driver, snap, snapRoot, 'c1', container, 'l2');
    });

    after(async () => {
      await removeChangesTestDir(base);
    });

    it('lists what the container added, changed and deleted, sorted, with parents as changed', async () => {
      assert.deepEqual(formatChanges(await diffChanges(source)), EXPECTED_DIFF);
    });

    it('reports nothing for a container that changed nothing', async () => {
      await snap.createRootfs('c0', 'l2');
      const mounted = await snap.mountRootfs('c0');
      assert.deepEqual(await diffChanges(changesSourceOf(driver, snap, snapRoot, 'c0', mounted, 'l2')), []);
      const tar = await readAll(changesTar(changesSourceOf(driver, snap, snapRoot, 'c0', mounted, 'l2')));
      assert.deepEqual(tar, Buffer.alloc(1024), 'an empty tar: two zero blocks');
    });

    it('writes a layer that, applied on the image, gives the container tree back', async () => {
      const tar = await readAll(changesTar(source));
      await snap.createLayer('l3', 'l2', Readable.from([tar]));
      await snap.createRootfs('c2', 'l3');
      const replayed = await snap.mountRootfs('c2');
      assert.deepEqual(await describeFullTree(replayed), await describeFullTree(container));
    });

    it('writes OCI whiteouts and hardlinks, in the same order every time', async () => {
      const first = await readAll(changesTar(source));
      assert.deepEqual(await readAll(changesTar(source)), first, 'byte for byte the same');
      const listing = await tarListing(first);
      for (const line of ['var/.wh.file file', 'newdir/h2 link -> newdir/h1', 'evil symlink -> /', 'newdir/fifo fifo', 'newdir/null character-device']) {
        assert.ok(listing.includes(line), `${line} in ${listing.join(', ')}`);
      }
      if (driver === 'overlay2') {
        // overlay2 keeps the emptied directory as one opaque marker; vfs lists what went away.
        assert.ok(listing.includes('opt/dir/.wh..wh..opq file'));
      } else {
        for (const gone of ['opt/dir/.wh.a file', 'opt/dir/.wh.b file', 'opt/dir/.wh.sub file']) assert.ok(listing.includes(gone), gone);
      }
      assert.ok(!listing.some((l) => l.startsWith('opt/dir/a ')), 'deleted files are not in the layer');
    });
  });
}
