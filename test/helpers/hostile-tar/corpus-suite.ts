/**
 * The hostile-archive corpus as node:test cases, for any engine: one sub-test per route (so a
 * failure names its route), a summary line, and a final check that no run failed. The engine,
 * a registry and the victims (one per parallel worker, HOSTILE_WORKERS, default 2) are made once for the whole corpus and removed in `after`, even when
 * runs fail. HOSTILE_REPORT=<file> writes every run's outcome as JSON; HOSTILE_FILTER (a regex on recipe names) and HOSTILE_ROUTES (comma list) narrow a run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryProcess } from '../registry-process.js';
import { CorpusRunner, summarize, type Outcome } from './corpus-runner.js';
import { corpus, type Recipe } from './recipes.js';
import { ROUTES, routesFor } from './routes.js';
import { makeVictim } from './victim.js';

export interface Engine {
  socket: string;
  stop(): Promise<void>;
  /** Starts the engine again after a run killed it; returns the tail of its log, saying why. */
  restart?(): Promise<string>;
}

export function hostileCorpusSuite(title: string, target: 'berth' | 'docker', startEngine: () => Promise<Engine>): void {
  describe(title, () => {
    let engine: Engine | undefined;
    let registry: RegistryProcess | undefined;
    const runners: CorpusRunner[] = [];
    const bases: string[] = [];
    /** One corpus per worker: each worker aims at its own victim, so runs in parallel never share one. */
    const corpora: Recipe[][] = [];
    const outcomes: Outcome[] = [];
    const filter = process.env.HOSTILE_FILTER ? new RegExp(process.env.HOSTILE_FILTER) : undefined;
    const only = process.env.HOSTILE_ROUTES?.split(',');
    const workers = Number(process.env.HOSTILE_WORKERS ?? 2);

    before(async () => {
      engine = await startEngine();
      registry = await RegistryProcess.start();
      // Two workers that see the engine die start it once.
      let restarting: Promise<string> | undefined;
      const again = engine.restart?.bind(engine);
      const restart = again ? (): Promise<string> => (restarting ??= again().finally(() => (restarting = undefined))) : undefined;
      for (let w = 0; w < workers; w++) {
        const base = await mkdtemp(join(tmpdir(), 'berth-hostile-'));
        bases.push(base);
        const victim = await makeVictim(base);
        corpora.push(corpus(victim).filter((r) => !filter || filter.test(r.name)));
        runners.push(await CorpusRunner.start({ socket: engine.socket, target, victim, registryPort: registry.port, ...(restart ? { restart } : {}) }));
      }
    });
    after(async () => {
      await runners[0]?.prune().catch(() => undefined);
      for (const r of runners) await r.close();
      await registry?.stop();
      await engine?.stop();
      for (const base of bases) await rm(base, { recursive: true, force: true });
    });

    for (const route of ROUTES) {
      if (only && !only.includes(route)) continue;
      test(`route ${route}`, { timeout: 600_000 }, async () => {
        if (runners.length === 0) throw new Error('the corpus did not start');
        const failing: string[] = [];
        const indexes = (corpora[0] ?? []).flatMap((r, i) => (routesFor(r, target).includes(route) ? [i] : []));
        await Promise.all(runners.map(async (runner, w) => {
          for (let i = indexes.shift(); i !== undefined; i = indexes.shift()) {
            const r = corpora[w]?.[i];
            if (!r) continue;
            const o = await runner.run(r, route);
            outcomes.push(o);
            if (process.env.HOSTILE_VERBOSE) console.log(`${o.verdict.padEnd(12)} ${String(o.ms).padStart(5)}ms ${route} ${r.name} ${o.message.slice(0, 160)}`);
            if (o.failures.length > 0) failing.push(`${r.name} [${o.verdict} ${o.status}]: ${o.failures.join(' | ').slice(0, 700)}`);
          }
        }));
        // Between routes, when no build runs: what failed builds and loads left untagged.
        await runners[0]?.prune();
        assert.equal(failing.length, 0, `${failing.length} recipes fail through ${route}:\n${failing.join('\n')}`);
      });
    }

    test('summary: no run failed', async () => {
      console.log(summarize(outcomes, corpora[0]?.length ?? 0));
      if (process.env.HOSTILE_REPORT) await writeFile(process.env.HOSTILE_REPORT, JSON.stringify(outcomes, null, 1));
      const failing = outcomes.filter((o) => o.failures.length > 0);
      assert.equal(failing.length, 0, `${failing.length} of ${outcomes.length} runs failed (see the route sub-tests)`);
    });
  });
}
