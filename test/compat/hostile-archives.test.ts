/**
 * The hostile-archive corpus (test/helpers/hostile-tar/) against a private dockerd
 * (BERTH_TEST_TARGET=docker), so what Docker itself rejects or accepts is on record
 * (docs/compatibility.md, "Hostile archives"). HOSTILE_REPORT=<file> writes every run's verdict
 * as JSON.
 */
import { hostileCorpusSuite } from '../helpers/hostile-tar/corpus-suite.js';
import { ON_DOCKER, startTarget, TARGET } from './target.js';

// On berthd the corpus runs once, in test/integration/security/hostile-archives.test.ts (which
// also restarts a daemon that died); here it is for the reference engine.
if (ON_DOCKER) {
  hostileCorpusSuite(`compat hostile archives [${TARGET}]`, TARGET, async () => {
    const t = await startTarget();
    return { socket: t.socket, stop: () => t.stop() };
  });
}
