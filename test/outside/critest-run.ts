/**
 * `node dist/test/outside/critest-run.js containerd|berth [focus]`: one critest run against a
 * private engine, the results as a table on stdout (for docs/cri-coverage.md and by hand).
 */
import { RegistryProcess } from '../helpers/registry-process.js';
import { TestDaemon } from '../helpers/test-daemon.js';
import { pushStandIns, runCritest, startContainerd } from './critest.js';

const [engine = 'containerd', focus] = process.argv.slice(2);
const registry = await RegistryProcess.start();
try {
  const builder = await TestDaemon.startWithBusybox();
  try {
    await pushStandIns(builder, registry.host);
  } finally {
    await builder.stop();
  }
  if (engine !== 'containerd') throw new Error(`unknown engine ${engine}`);
  const c = await startContainerd(registry.host);
  try {
    const t0 = Date.now();
    const { results } = await runCritest({ endpoint: c.endpoint, registry: registry.host, netns: c.netns, ...(focus ? { focus } : {}) });
    const counts: Record<string, number> = {};
    for (const [name, r] of results) {
      counts[r.state] = (counts[r.state] ?? 0) + 1;
      if (r.state !== 'skipped') console.log(`${r.state}\t${name}${r.message ? `\n\t${r.message.replaceAll('\n', '\n\t')}` : ''}`);
    }
    console.log(JSON.stringify(counts), `${Math.round((Date.now() - t0) / 1000)} s`);
  } finally {
    await c.stop();
  }
} finally {
  await registry.stop();
}
