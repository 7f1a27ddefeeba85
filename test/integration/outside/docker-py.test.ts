import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LISTS_DIR, readList, runDockerPy, type SuiteName } from '../../outside/docker-py.js';

/**
 * docker-py's own integration suite, unchanged, against a private berthd (issue 24): every test
 * that is neither deselected (docker-py/deselected.txt: swarm, Docker Hub) nor listed in
 * docker-py/known-failing-berth-<suite>.txt must pass. The known-failing lists name Berth bugs
 * being fixed; a listed test that passes is reported so the list can shrink.
 */
for (const suite of ['5.0.3', '7.1.0'] as SuiteName[]) {
  describe(`docker-py ${suite} integration suite on Berth`, () => {
    it('passes every test that is not deselected or known failing', { timeout: 35 * 60_000 }, async (t) => {
      const known = await readList(join(LISTS_DIR, `known-failing-berth-${suite}.txt`));
      const r = await runDockerPy(suite, 'berth');
      t.diagnostic(`docker-py ${suite}: ${r.counts.passed} passed, ${r.counts.failed + r.counts.error} failed, ${r.counts.skipped} skipped, ${r.counts.deselected} deselected in ${r.seconds} s`);
      const unexpected: string[] = [];
      const fixed: string[] = [];
      for (const [id, res] of Object.entries(r.tests)) {
        const bad = res.outcome === 'failed' || res.outcome === 'error';
        // Exact ids: a known failure must not excuse every test whose name it prefixes.
        const isKnown = known.has(id);
        if (bad && !isKnown) unexpected.push(`${id}: ${res.message ?? res.outcome}`);
        if (!bad && isKnown && res.outcome === 'passed') fixed.push(id);
      }
      if (fixed.length) t.diagnostic(`known failing but passed now (remove from known-failing-berth-${suite}.txt): ${fixed.join(', ')}`);
      // A run that ran nothing must not pass: the suite has a few hundred tests outside swarm.
      assert.ok(r.counts.passed >= 100, `only ${r.counts.passed} tests passed: did the suite run?`);
      assert.deepEqual(unexpected, [], `docker-py ${suite} tests that failed on Berth and are not in known-failing-berth-${suite}.txt`);
    });
  });
}
