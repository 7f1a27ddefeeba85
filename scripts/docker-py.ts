/**
 * Runs docker-py's integration suite (test/outside/docker-py.ts) against a private berthd or a
 * private dockerd 20.10 and writes the per-test results as JSON, the pytest output beside it.
 * Usage (root, after `npm run build`):
 *   node dist/scripts/docker-py.js berth|docker 5.0.3|7.1.0 [OUT.json]
 * OUT.json defaults to dist/docker-py-<engine>-<suite>.json; the log goes to OUT.log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/test-daemon.js';
import { runDockerPy, SUITES, type EngineName, type SuiteName } from '../test/outside/docker-py.js';

const [engine, suite, out] = process.argv.slice(2);
if ((engine !== 'berth' && engine !== 'docker') || !suite || !Object.hasOwn(SUITES, suite)) {
  console.error('usage: node dist/scripts/docker-py.js berth|docker 5.0.3|7.1.0 [OUT.json]');
  process.exit(2);
}
const file = out ?? join(REPO_ROOT, `dist/docker-py-${engine}-${suite}.json`);
await mkdir(dirname(file), { recursive: true });
const r = await runDockerPy(suite as SuiteName, engine as EngineName, { logFile: file.replace(/\.json$/, '') + '.log' });
await writeFile(file, JSON.stringify(r, null, 1) + '\n');
const c = r.counts;
console.log(`docker-py ${suite} on ${engine}: ${c.passed} passed, ${c.failed + c.error} failed, ${c.skipped} skipped, ${c.deselected} deselected in ${r.seconds} s; wrote ${file}`);
