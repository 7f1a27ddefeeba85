import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContextCache } from './context-cache.js';
import { tar } from '../../../test/helpers/hostile-tar/tar.js';

const o = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtime: 1_700_000_000, mode: 0o644 };
const context = (a: string): Readable => Readable.from([tar().file('Dockerfile', 'FROM scratch\nCOPY a /\n', o).file('a', a, o).end().bytes()]);
const gone = async (dir: string): Promise<boolean> => {
  for (let i = 0; i < 200; i++) {
    if (await access(dir).then(() => false, () => true)) return true;
    await sleep(10);
  }
  return false;
};

describe('ContextCache (unpacked contexts kept for a rebuild of the same tar)', () => {
  let dir = '';
  let cache: ContextCache;
  before(async () => {
    dir = await mkdtemp('/tmp/berth-test-ctxcache-');
    cache = new ContextCache(join(dir, 'contexts'), (err) => assert.fail(String(err)));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reuses the directory and digests for the same bytes only: content of the same size and mtime is another context', async () => {
    const first = await cache.open(context('one'), 'Dockerfile', () => undefined);
    const [item] = await first.ctx.tree.resolve('a', 'COPY');
    const digest = await first.ctx.tree.hashItem(item!);
    first.release();
    const again = await cache.open(context('one'), 'Dockerfile', () => undefined);
    assert.equal(again.ctx.dir, first.ctx.dir);
    assert.equal(await again.ctx.tree.hashItem(item!), digest);
    again.release();
    const changed = await cache.open(context('two'), 'Dockerfile', () => undefined);
    assert.notEqual(changed.ctx.dir, first.ctx.dir);
    const [other] = await changed.ctx.tree.resolve('a', 'COPY');
    assert.notEqual(await changed.ctx.tree.hashItem(other!), digest);
    changed.release();
    // Another Dockerfile name may pick another ignore file: another key.
    const named = await cache.open(context('one'), 'other.Dockerfile', () => undefined);
    assert.notEqual(named.ctx.dir, first.ctx.dir);
    named.release();
  });

  it('one build at a time per directory; a tainted one is removed, not reused', async () => {
    const a = await cache.open(context('x'), 'Dockerfile', () => undefined);
    const b = await cache.open(context('x'), 'Dockerfile', () => undefined);
    assert.notEqual(a.ctx.dir, b.ctx.dir, 'a context in use is not shared');
    b.release();
    assert.ok(await gone(b.ctx.dir), 'the concurrent copy goes at its end');
    await a.ctx.tree.resolve('a', 'COPY');
    a.ctx.tree.taint();
    // What a read-write mount may have changed is looked at again.
    await rm(join(a.ctx.dir, 'a'));
    await assert.rejects(a.ctx.tree.resolve('a', 'COPY'), /file does not exist/);
    a.release();
    assert.ok(await gone(a.ctx.dir), 'a tainted context goes at its end');
    const c = await cache.open(context('x'), 'Dockerfile', () => undefined);
    assert.notEqual(c.ctx.dir, a.ctx.dir);
    c.release();
  });

  it('keeps a few; clear() removes those not in use', async () => {
    const dirs: string[] = [];
    for (const n of ['1', '2', '3', '4', '5', '6']) {
      const l = await cache.open(context(n), 'Dockerfile', () => undefined);
      dirs.push(l.ctx.dir);
      l.release();
    }
    assert.ok(await gone(dirs[0]!), 'the least recently used is evicted');
    await access(dirs[5]!);
    cache.clear();
    assert.ok(await gone(dirs[5]!));
  });
});
