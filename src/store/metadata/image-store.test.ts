import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Digest } from '../../core/digest.js';
import { ImageStore, type ImageRecord } from './image-store.js';

const id = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const record = (c: string): ImageRecord => ({ id: id(c), layers: [], added: '2026-01-01T00:00:00Z', lastTagTime: '2026-01-01T00:00:00Z' });

describe('ImageStore LastTagTime refreshes', () => {
  it('are seen at once, written by flush, and never bring back a deleted record', async (t) => {
    const dir = await mkdtemp('/tmp/berth-test-imagestore-');
    t.after(() => rm(dir, { recursive: true, force: true }));
    const store = new ImageStore(dir);
    await store.init();
    await store.put(record('a'));
    await store.put(record('b'));
    store.refreshTagTime(id('a'), '2026-02-02T00:00:00Z');
    assert.equal((await store.get(id('a')))?.lastTagTime, '2026-02-02T00:00:00Z');
    assert.equal((await store.list()).find((r) => r.id === id('a'))?.lastTagTime, '2026-02-02T00:00:00Z');
    const other = new ImageStore(dir);
    assert.equal((await other.get(id('a')))?.lastTagTime, '2026-01-01T00:00:00Z', 'not on disk before the flush');
    store.refreshTagTime(id('b'), '2026-03-03T00:00:00Z');
    const deleting = store.delete(id('b'));
    await store.flush();
    await deleting;
    assert.equal((await other.get(id('a')))?.lastTagTime, '2026-02-02T00:00:00Z');
    assert.equal(await other.get(id('b')), undefined);
    // A record written meanwhile from an older read keeps the refresh, which is written after it.
    const stale = (await other.get(id('a')))!;
    store.refreshTagTime(id('a'), '2026-04-04T00:00:00Z');
    await store.put({ ...stale, repoDigests: ['x@sha256:' + '0'.repeat(64)] });
    assert.equal((await store.get(id('a')))?.lastTagTime, '2026-04-04T00:00:00Z');
    await store.flush();
    const written = await other.get(id('a'));
    assert.equal(written?.lastTagTime, '2026-04-04T00:00:00Z');
    assert.deepEqual(written?.repoDigests, ['x@sha256:' + '0'.repeat(64)]);
  });
});
