/**
 * A hot path that turns quadratic is caught here, without a timing assertion that a busy machine
 * could break: the daemon's own CPU time (utime + stime, which other processes' load does not
 * inflate) for a fixed number of calls is compared at 20 and at 200 containers (half of them
 * running). Ten times the containers may cost a listing up to ten times the CPU (linear); the
 * bound is 25×, where a quadratic listing would cost about 100×. Paths about one container
 * (inspect, one create) must stay near flat.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readAll, type RequestSpec } from '../../../src/client/engine-client.js';
import { runLimited } from '../../../src/core/run-limited.js';
import { TestDaemon } from '../../helpers/test-daemon.js';

const SMALL = 20;
const LARGE = 200;
const CALLS = 200;
/** Linear growth is 10× (LARGE ÷ SMALL); quadratic about 100×. */
const LISTING_BOUND = 25;
/** Work about one container: flat, with room for noise and cache effects. */
const FLAT_BOUND = 4;

describe('hot paths grow linearly with the number of containers', () => {
  let d: TestDaemon;
  let pid = 0;
  const ids: string[] = [];

  const call = async (spec: RequestSpec): Promise<string> => (await readAll(await d.client.raw(spec))).toString('utf8');

  /** berthd's CPU seconds so far (clock ticks of 10 ms). */
  const cpu = async (): Promise<number> => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };

  /** The daemon's CPU for `calls` calls of `spec`, after a warm-up; one call at a time. */
  const cost = async (spec: () => RequestSpec, calls = CALLS): Promise<number> => {
    for (let i = 0; i < 10; i++) await call(spec());
    const before = await cpu();
    for (let i = 0; i < calls; i++) await call(spec());
    // A tick's resolution: never zero, so a ratio stays defined.
    return Math.max(0.01, (await cpu()) - before);
  };

  const grow = async (to: number): Promise<void> => {
    const from = ids.length;
    await runLimited(Array.from({ length: to - from }, (_, k) => from + k), 8, async (i) => {
      const body = { Image: 'busybox', Cmd: ['sleep', '600'], Labels: { tier: i % 2 ? 'odd' : 'even' }, HostConfig: { NetworkMode: 'none' } };
      const { Id } = JSON.parse(await call({ method: 'POST', path: '/containers/create', query: { name: `g${i}` }, body })) as { Id: string };
      ids.push(Id);
      if (i % 2 === 0) await call({ method: 'POST', path: `/containers/${Id}/start` });
    });
  };

  interface Costs {
    ps: number;
    psFiltered: number;
    psRunning: number;
    inspect: number;
    create: number;
  }

  const measure = async (): Promise<Costs> => {
    const one = ids[0] as string;
    const ps = await cost(() => ({ method: 'GET', path: '/containers/json', query: { all: '1' } }));
    const psFiltered = await cost(() => ({ method: 'GET', path: '/containers/json', query: { all: '1', filters: JSON.stringify({ label: ['tier=odd'], name: ['g1'] }) } }));
    const psRunning = await cost(() => ({ method: 'GET', path: '/containers/json' }));
    const inspect = await cost(() => ({ method: 'GET', path: `/containers/${one}/json` }));
    // Creating and removing one more container: its name checks and indexes must not walk them all.
    let k = 0;
    const create = await cost(() => ({ method: 'POST', path: '/containers/create', query: { name: `extra-${ids.length}-${k++}` }, body: { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } } }), CALLS / 2);
    const extra = (JSON.parse(await call({ method: 'GET', path: '/containers/json', query: { all: '1', filters: JSON.stringify({ name: ['extra-'] }) } })) as Array<{ Id: string }>).map((c) => c.Id);
    await runLimited(extra, 8, async (id) => {
      await call({ method: 'DELETE', path: `/containers/${id}` });
    });
    return { ps, psFiltered, psRunning, inspect, create };
  };

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    pid = await d.pidFromFile();
  });

  after(async () => {
    await d?.stop();
  });

  test(`ps, filtered ps, inspect and create at ${SMALL} and ${LARGE} containers`, async () => {
    await grow(SMALL);
    const small = await measure();
    await grow(LARGE);
    const listed = JSON.parse(await call({ method: 'GET', path: '/containers/json', query: { all: '1', filters: JSON.stringify({ name: ['g'] }) } })) as unknown[];
    assert.equal(listed.length, LARGE, 'every container is listed');
    const large = await measure();
    const ratio = (k: keyof Costs): number => large[k] / small[k];
    console.log(`# daemon CPU for ${CALLS} calls at ${SMALL} → ${LARGE} containers: ${(Object.keys(small) as Array<keyof Costs>).map((k) => `${k} ${small[k].toFixed(2)} → ${large[k].toFixed(2)} s (${ratio(k).toFixed(1)}×)`).join(', ')}`);
    for (const k of ['ps', 'psFiltered', 'psRunning'] as const) assert.ok(ratio(k) <= LISTING_BOUND, `${k}: ${ratio(k).toFixed(1)}× the CPU for ${LARGE / SMALL}× the containers (linear is ${LARGE / SMALL}×)`);
    for (const k of ['inspect', 'create'] as const) assert.ok(ratio(k) <= FLAT_BOUND, `${k}: ${ratio(k).toFixed(1)}× the CPU at ${LARGE / SMALL}× the containers (it concerns one container)`);
  });
});
