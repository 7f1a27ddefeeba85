import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../../core/digest.js';
import { isPinned, planImages, protection, type ImageFacts } from './reclaim-plan.js';

const id = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const NOW = 10_000_000;
const GRACE = 60_000;
const OLD = NOW - 10 * GRACE;

function img(c: string, over: Partial<ImageFacts> = {}): ImageFacts {
  return { id: id(c), tags: 1, cached: false, users: 0, pinned: false, hasChildren: false, added: OLD, lastUsed: undefined, leased: false, ...over };
}

describe('the disk budget plan', () => {
  it('sorts each kind into its list, oldest use first', () => {
    const facts = [
      img('a', { tags: 0, cached: true, added: OLD + 2 }),
      img('b', { tags: 0, cached: true, added: OLD + 1 }),
      img('c', { tags: 0 }),
      img('d', { lastUsed: OLD + 500 }),
      img('e', { lastUsed: OLD + 100 }),
      img('f'),
    ];
    const plan = planImages(facts, NOW, GRACE, false);
    assert.deepEqual(plan.buildCache, [id('b'), id('a')]);
    assert.deepEqual(plan.dangling, [id('c')]);
    // f never used since it arrived (OLD), e used at OLD+100, d at OLD+500.
    assert.deepEqual(plan.leastRecentlyUsed, [id('f'), id('e'), id('d')]);
  });

  it('never names an image a container uses, a pinned, leased or fresh one, or a parent', () => {
    const facts = [
      img('a', { users: 1 }),
      img('b', { pinned: true }),
      img('c', { leased: true }),
      img('d', { lastUsed: NOW - 1000 }),
      img('e', { added: NOW - 1000, tags: 0 }),
      img('f', { hasChildren: true, tags: 0 }),
      img('9'),
    ];
    const plan = planImages(facts, NOW, GRACE, false);
    assert.deepEqual([...plan.buildCache, ...plan.dangling, ...plan.leastRecentlyUsed], [id('9')]);
    assert.equal(protection(facts[0]!, NOW, GRACE), 'used by a container');
    assert.equal(protection(facts[1]!, NOW, GRACE), 'labelled berth.pin=true');
    assert.equal(protection(facts[3]!, NOW, GRACE), 'used within the grace period');
  });

  it('leaves untagged images alone while a build runs (they may be its steps)', () => {
    const plan = planImages([img('a', { tags: 0, cached: true }), img('b', { tags: 0 }), img('c')], NOW, GRACE, true);
    assert.deepEqual(plan, { buildCache: [], dangling: [], leastRecentlyUsed: [id('c')] });
  });

  it('reads the pin label as true, 1 or yes', () => {
    assert.equal(isPinned({ 'berth.pin': 'true' }), true);
    assert.equal(isPinned({ 'berth.pin': 'TRUE' }), true);
    assert.equal(isPinned({ 'berth.pin': 'false' }), false);
    assert.equal(isPinned(null), false);
  });
});
