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
});
