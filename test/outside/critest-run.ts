/**
 * `node dist/test/outside/critest-run.js containerd|berth|both [focus]`: critest against private
 * engines (test/outside/critest.ts), each in a network namespace of its own. Prints every spec
 * that did not pass with its message, the counts, and with `both` a markdown table of every spec
 * on both engines (for docs/cri-coverage.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/test-daemon.js';
import { runCritest, serveIn, standInRegistry, startBerth, startContainerd, type SpecResult } from './critest.js';

const [which = 'both', focus] = process.argv.slice(2);
if (!['containerd', 'berth', 'both'].includes(which)) throw new Error(`unknown engine ${which}: containerd, berth or both`);
const engines = which === 'both' ? ['containerd', 'berth'] : [which];
const registry = await standInRegistry();
const dir = await mkdtemp(join(tmpdir(), 'berth-critest-run-'));
const all = new Map<string, Map<string, SpecResult>>();
try {
  for (const engine of engines) {
    const netns = join(dir, `netns-${engine}`);
    await serveIn(registry, netns);
    try {
      const c = engine === 'berth' ? await startBerth(registry.host, netns) : await startContainerd(registry.host, netns);
      try {
        const t0 = Date.now();
        const { results } = await runCritest({ endpoint: c.endpoint, netns, ...(focus ? { focus } : {}) });
        all.set(engine, results);
        const counts: Record<string, number> = {};
        for (const [name, r] of results) {
          counts[r.state] = (counts[r.state] ?? 0) + 1;
          if (r.state !== 'passed' && r.message) console.log(`${engine}\t${r.state}\t${name}\n\t${r.message.replaceAll('\n', '\n\t')}`);
        }
        console.log(engine, JSON.stringify(counts), `${Math.round((Date.now() - t0) / 1000)} s`);
      } finally {
        await c.stop();
      }
    } finally {
      await run('umount', ['-l', netns]);
    }
  }
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}

if (engines.length === 2) {
  const [a, b] = [all.get('containerd'), all.get('berth')];
  const names = [...new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])])].sort();
  const why = (r: SpecResult | undefined): string => (r && r.state !== 'passed' ? (r.message?.split('\n')[0] ?? '').replaceAll('|', '\\|').slice(0, 160) : '');
  console.log('\n| spec | containerd 1.6 | Berth | why (Berth) |\n| --- | --- | --- | --- |');
  for (const n of names) console.log(`| ${n.replace(/^\[k8s\.io\] /, '').replaceAll('|', '\\|')} | ${a?.get(n)?.state ?? '–'} | ${b?.get(n)?.state ?? '–'} | ${why(b?.get(n))} |`);
}
