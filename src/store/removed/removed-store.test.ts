import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovedStore, type KeptRecordBase } from './removed-store.js';

const rec = (c: string, at: string): KeptRecordBase => ({ Id: c.repeat(64), Name: `/${c}`, RemovedAt: at });

describe('the store of removed containers', () => {
  it('keeps a record and its log, indexes them again at load, and sweeps a keep a crash cut short', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-removed-'));
    try {
      const store = new RemovedStore<KeptRecordBase>(root);
      await store.init();
      const entry = await store.put(rec('a', '2026-12-07T06:00:00Z'), Buffer.from('{"log":"x\\n"}\n'));
      assert.equal(entry.removedAt, Date.parse('2026-12-07T06:00:00Z'));
      assert.ok(entry.bytes > 0);
      assert.equal(await readFile(store.logPath('a'.repeat(64)), 'utf8'), '{"log":"x\\n"}\n');
      // The log written, the record not: a keep a crash interrupted.
      await mkdir(join(root, 'b'.repeat(64)));
      await writeFile(join(root, 'b'.repeat(64), 'container-json.log'), 'partial');
      const again = new RemovedStore<KeptRecordBase>(root);
      await again.init();
      assert.deepEqual(again.entries().map((e) => e.name), ['/a']);
      assert.equal(existsSync(join(root, 'b'.repeat(64))), false);
      assert.deepEqual(await again.get('a'.repeat(64)), rec('a', '2026-12-07T06:00:00Z'));
      assert.equal(again.usage(), entry.bytes);
      assert.equal(await again.remove('a'.repeat(64)), entry.bytes);
      assert.equal(again.usage(), 0);
      assert.equal(existsSync(join(root, 'a'.repeat(64))), false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps its entries oldest first, and its byte count, whatever order removals arrive in', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-removed-'));
    try {
      const store = new RemovedStore<KeptRecordBase>(root);
      await store.init();
      const sizes = new Map<string, number>();
      for (const [c, at] of [['b', '06:00:02'], ['d', '06:00:04'], ['a', '06:00:01'], ['c', '06:00:03']] as const) {
        sizes.set(c, (await store.put(rec(c, `2026-12-07T${at}Z`), Buffer.from('{}\n'))).bytes);
      }
      const names = (s: RemovedStore<KeptRecordBase>): string[] => [...s.oldestFirst()].map((e) => e.name);
      assert.deepEqual(names(store), ['/a', '/b', '/c', '/d']);
      assert.equal(store.usage(), [...sizes.values()].reduce((a, b) => a + b, 0));
      await store.remove('d'.repeat(64));
      await store.put(rec('e', '2026-12-07T06:00:05Z'), Buffer.from('{}\n'));
      assert.deepEqual(names(store), ['/a', '/b', '/c', '/e']);
      assert.equal(store.entry('c'.repeat(64))?.name, '/c');
      // A new load reads the directory in its own order and sorts it once.
      const again = new RemovedStore<KeptRecordBase>(root);
      await again.init();
      assert.deepEqual(names(again), ['/a', '/b', '/c', '/e']);
      assert.equal(again.usage(), store.usage());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
