/**
 * Runs outside-client test files (test/integration/outside/) against a rootless berthd: a
 * throwaway user (test/helpers/rootless-user.ts) runs it, busybox is bootstrapped into it, and
 * each file gets it as BERTH_OUTSIDE_TARGET_HOST. The user and all it left go at the end.
 * Usage (root, after `npm run build`):
 *   node dist/scripts/outside-rootless.js dist/test/integration/outside/compose.test.js [...]
 */
import { spawnSync } from 'node:child_process';
import { RootlessUser } from '../test/helpers/rootless-user.js';
import { NODE, REPO_ROOT } from '../test/helpers/test-daemon.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node dist/scripts/outside-rootless.js TEST.js...');
  process.exit(2);
}
const u = new RootlessUser();
let failed = 0;
try {
  await u.create();
  const host = await u.launchWithBusybox();
  for (const file of files) {
    const r = spawnSync(NODE, ['--test', '--test-concurrency=1', file], { env: { ...process.env, BERTH_OUTSIDE_TARGET_HOST: host }, stdio: 'inherit', cwd: REPO_ROOT });
    if (r.status !== 0) failed++;
  }
} finally {
  const left = await u.cleanup();
  if (left.length > 0) console.error(`killed processes the rootless user left: ${left.join(' ')}`);
}
process.exit(failed > 0 ? 1 : 0);
