import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import { parseBudget } from './budget-marks.js';
import type { Reclaimer } from './budget-reclaimers.js';
import { StorageBudget } from './storage-budget.js';

/** A budget over a pretend disk: `used` bytes, marks in bytes. */
class FakeBudget extends StorageBudget {
  used = 0;
  override async marks(): Promise<{ high: number; low: number; used: number }> {
    return { high: 100, low: 70, used: this.used };
  }

  protected override async tracker(): Promise<() => Promise<number>> {
    return async () => this.used;
  }
}

function reclaimer(kind: string, budget: { used: number }, have: number, calls: string[]): Reclaimer {
  let left = have;
  return {
    kind,
    reclaimable: async () => left,
    async reclaim(_wanted, stillWanted) {
      calls.push(kind);
      let freed = 0;
      while (left > 0 && (await stillWanted()) > 0) {
        left -= 10;
        budget.used -= 10;
        freed += 10;
      }
      return freed;
    },
  };
}

describe('StorageBudget', () => {
  it('does nothing at or under the high mark; past it, runs reclaimers in order down to the low mark', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'budget-'));
    try {
      const calls: string[] = [];
      const b = new FakeBudget(parseBudget({ high: '100', low: '70' }), dir, [], silentLogger());
      b.reclaimers.push(reclaimer('first', b, 20, calls), reclaimer('second', b, 100, calls), reclaimer('third', b, 100, calls));
      b.used = 100;
      assert.equal(await b.run('test'), undefined);
      assert.deepEqual(calls, []);
      b.used = 130;
      const run = await b.run('test');
      assert.deepEqual(calls, ['first', 'second']);
      assert.equal(b.used, 70);
      assert.deepEqual(run?.steps, [{ kind: 'first', freed: 20 }, { kind: 'second', freed: 40 }]);
      assert.equal(run?.freed, 60);
      const status = await b.status();
      assert.equal(status.lastRun?.freed, 60);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs one collection at a time: a request during a run shares it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'budget-'));
    try {
      const calls: string[] = [];
      const b = new FakeBudget(parseBudget({ high: '100', low: '70' }), dir, [], silentLogger());
      b.reclaimers.push(reclaimer('only', b, 100, calls));
      b.used = 200;
      const [one, two] = await Promise.all([b.run('a'), b.run('b')]);
      assert.equal(one, two);
      assert.deepEqual(calls, ['only']);
      await b.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
