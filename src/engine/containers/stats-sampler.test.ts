import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StatsSampler, statsPoint, type StatsPoint } from './stats-sampler.js';
import type { StatsSample } from './container-stats.js';
import type { CgroupSample } from '../../drivers/cgroups/cgroup-stats.js';

function fakeSample(n: number, read: number): StatsSample {
  const sample: CgroupSample = {
    cpuUsageNs: n * 500_000_000,
    cpuUserNs: 0,
    cpuSystemNs: 0,
    perCpuNs: [],
    throttling: { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 },
    memoryUsage: 60 << 20,
    memoryMaxUsage: 0,
    memoryFailcnt: 0,
    memoryLimit: 0,
    memoryStats: { inactive_file: 10 << 20 },
    pids: 3,
    pidsLimit: 0,
    ioServiceBytes: [{ major: 8, minor: 0, op: 'Read', value: n * 1000 }, { major: 8, minor: 0, op: 'write', value: n * 10 }],
    ioServiced: [],
  };
  return { sample, system: n * 2_000_000_000, read: new Date(read).toISOString(), json: { memory_stats: { limit: 100 << 20 }, networks: { eth0: { rx_bytes: n * 300, tx_bytes: n * 30 } } } };
}

test('a point: docker CLI CPU %, memory less inactive file, rates per second', () => {
  const p = statsPoint(fakeSample(2, 2000), fakeSample(1, 1000), 2);
  // 0.5 s of CPU in 2 s of all-CPU time on 2 CPUs: 50 % of one CPU.
  assert.equal(p.cpu, 50);
  assert.equal(p.mem, 50 << 20);
  assert.equal(p.memLimit, 100 << 20);
  assert.deepEqual([p.rx, p.tx, p.blkRead, p.blkWrite, p.pids], [300, 30, 1000, 10, 3]);
  const first = statsPoint(fakeSample(1, 1000), undefined, 2);
  assert.deepEqual([first.cpu, first.rx], [0, 0]);
});

test('one sampler per container, shared by its watchers; nothing samples without one', async () => {
  let reads = 0;
  let running = true;
  const sampler = new StatsSampler({
    sample: async (_id, prev) => fakeSample(++reads, Date.parse(prev?.read ?? '2026-01-01T00:00:00Z') + 1000),
    isRunning: () => running,
    intervalMs: 20,
  });
  try {
    const a: Array<StatsPoint | undefined> = [];
    const b: Array<StatsPoint | undefined> = [];
    let stopped = 0;
    const unA = sampler.watch('c1', { sample: (_s, p) => a.push(p) });
    const unB = sampler.watch('c1', { sample: (_s, p) => b.push(p), stopped: () => stopped++ });
    await sleep(150);
    assert.equal(sampler.active, 1);
    // Two watchers, one read per tick: each watcher saw every read.
    assert.ok(reads >= 3, `reads ${reads}`);
    assert.ok(Math.abs(a.length - reads) <= 1 && Math.abs(b.length - reads) <= 1, `a ${a.length} b ${b.length} reads ${reads}`);
    assert.equal(a[0], undefined, 'the first sample has no baseline');
    assert.equal(sampler.history('c1').length, reads - 1);
    assert.equal(sampler.latest('c1')?.read, new Date(sampler.history('c1').at(-1)?.t ?? 0).toISOString(), 'the newest sample is offered while it is fresh');
    running = false;
    await sleep(60);
    assert.ok(stopped >= 1, 'a stopped container is told to its watchers');
    unA();
    unB();
    const after = reads;
    await sleep(80);
    assert.equal(reads, after, 'no watcher, no reads');
    assert.equal(sampler.active, 0);
    assert.equal(sampler.latest('c1'), undefined, 'nothing is offered once nobody samples');
    assert.ok(sampler.history('c1').length > 0, 'the history outlives the watchers');
  } finally {
    sampler.close();
  }
});
