/**
 * The hostile-archive corpus (test/helpers/hostile-tar/) against the compat target: berthd, or
 * with BERTH_TEST_TARGET=docker a private dockerd, so what Docker itself rejects or accepts is on
 * record (docs/compatibility.md, "Hostile archives"). HOSTILE_REPORT=<file> writes every run's
 * verdict as JSON.
 */
import { hostileCorpusSuite } from '../helpers/hostile-tar/corpus-suite.js';
import { startTarget, TARGET } from './target.js';

hostileCorpusSuite(`compat hostile archives [${TARGET}]`, TARGET, async () => {
  const t = await startTarget();
  return { socket: t.socket, stop: () => t.stop() };
});
