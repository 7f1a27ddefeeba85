import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { http, saveArchive } from '../../helpers/hostile-tar/routes.js';
import { sha256, type Recipe } from '../../helpers/hostile-tar/recipes.js';
import { tar } from '../../helpers/hostile-tar/tar.js';

/**
 * Two loads at once of layers with one diff ID but different blobs: the unpack of one is shared
 * with the other. A bad copy (gzip with garbage after it) must fail only its own load.
 */
describe('concurrent loads sharing a diff ID', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start();
  });
  after(async () => {
    await d?.stop();
  });

  it('a good blob loads whatever a bad blob of the same diff ID does meanwhile', async () => {
    const plain = tar().file('ff', 'shared content').end().bytes();
    const recipe = (bytes: Buffer): Recipe => ({ name: 'shared', family: 'shared', kind: 'layer', bytes, compression: 'gzip', diffId: sha256(plain) });
    const bad = recipe(Buffer.concat([gzipSync(plain), Buffer.alloc(100, 0x44)]));
    const good = recipe(Buffer.concat([gzipSync(plain.subarray(0, 1024)), gzipSync(plain.subarray(1024))]));
    for (let round = 0; round < 6; round++) {
      const [, ok] = await Promise.all([bad, good].map((r, i) => http({ socketPath: d.socket, method: 'POST', path: '/images/load?quiet=1', body: saveArchive(r, `shared${i}:${round}`), ms: 20000 })));
      assert.equal(ok?.status, 200);
      assert.match(ok?.body.toString() ?? '', new RegExp(`Loaded image: shared1:${round}`), `round ${round}: ${ok?.body.toString()}`);
      for (const i of [0, 1]) await http({ socketPath: d.socket, method: 'DELETE', path: `/images/shared${i}:${round}`, ms: 20000 }).catch(() => undefined);
    }
  });
});
