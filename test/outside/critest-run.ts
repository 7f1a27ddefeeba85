/**
 * `node dist/test/outside/critest-run.js containerd|berth [focus]`: one critest run against a
 * private engine, the results as a table on stdout (for docs/cri-coverage.md and by hand).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryProcess } from '../helpers/registry-process.js';
import { run, TestDaemon } from '../helpers/test-daemon.js';
import { makeNetns, pushStandIns, runCritest, startBerth, startContainerd } from './critest.js';

const [engine = 'containerd', focus] = process.argv.slice(2);
const registry = await RegistryProcess.start();
const dir = await mkdtemp(join(tmpdir(), 'berth-critest-run-'));
const netns = join(dir, 'netns');
try {
  const builder = await TestDaemon.startWithBusybox();
  try {
    await pushStandIns(builder, registry.host);
  } finally {
    await builder.stop();
  }
  await makeNetns(netns);
  await registry.halt();
  registry.netns = netns;
  await registry.launch();
  if (engine !== 'containerd' && engine !== 'berth') throw new Error(`unknown engine ${engine}: containerd or berth`);
  const c = engine === 'berth' ? await startBerth(registry.host, netns) : await startContainerd(registry.host, netns);
  try {
    const t0 = Date.now();
    const { results } = await runCritest({ endpoint: c.endpoint, netns, ...(focus ? { focus } : {}) });
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
  await run('umount', ['-l', netns]);
  await rm(dir, { recursive: true, force: true });
}
