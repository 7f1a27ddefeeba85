import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CgroupV1Driver } from './cgroup-v1.js';
import { blkioToIoWeight, CgroupV2Driver, sharesToWeight } from './cgroup-v2.js';
import { detectCgroupSupport } from './cgroup-support.js';

/** A fake cgroup tree: plain files where the kernel has control files. */
async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const read = (root: string, path: string): Promise<string> => readFile(join(root, path), 'utf8');

describe('cgroup v2 driver (against a temp directory)', () => {
  let root: string;
  const cg = '/berth/c1';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cgv2-'));
    await tree(root, {
      'cgroup.controllers': 'cpuset cpu io memory pids',
      'cpuset.cpus.effective': '0-3',
      'cpuset.mems.effective': '0',
      'berth/c1/memory.max': 'max',
      'berth/c1/memory.swap.max': 'max',
      'berth/c1/memory.low': '0',
      'berth/c1/cpu.max': 'max 100000',
      'berth/c1/cpu.weight': '100',
      'berth/c1/pids.max': 'max',
      'berth/c1/io.weight': 'default 100',
      'berth/c1/cpuset.cpus': '',
      'berth/c1/memory.events': 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n',
      'berth/c1/cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 300\n',
      'berth/c1/memory.current': '4096',
      'berth/c1/memory.peak': '8192',
      'berth/c1/memory.stat': 'anon 1024\nfile 2048\ninactive_file 512\n',
      'berth/c1/pids.current': '3',
      'berth/c1/io.stat': '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes memory, swap (as swap alone), reservation, cpu, cpuset, pids and io weight', async () => {
    const d = new CgroupV2Driver(root);
    await d.update(cg, { memory: 64 << 20, memorySwap: 128 << 20, memoryReservation: 32 << 20, cpuShares: 1024, cpuQuota: 50_000, cpuPeriod: 100_000, cpusetCpus: '0-1', pidsLimit: 64, blkioWeight: 500 });
    assert.equal(await read(root, 'berth/c1/memory.max'), String(64 << 20));
    assert.equal(await read(root, 'berth/c1/memory.swap.max'), String(64 << 20));
    assert.equal(await read(root, 'berth/c1/memory.low'), String(32 << 20));
    assert.equal(await read(root, 'berth/c1/cpu.weight'), String(sharesToWeight(1024)));
    assert.equal(await read(root, 'berth/c1/cpu.max'), '50000 100000');
    assert.equal(await read(root, 'berth/c1/cpuset.cpus'), '0-1');
    assert.equal(await read(root, 'berth/c1/pids.max'), '64');
    assert.equal(await read(root, 'berth/c1/io.weight'), `default ${blkioToIoWeight(500)}`);
  });

  it('lifts limits with max and keeps the period when only the quota changes', async () => {
    const d = new CgroupV2Driver(root);
    await d.update(cg, { memory: -1, memorySwap: -1, pidsLimit: -1 });
    assert.equal(await read(root, 'berth/c1/memory.max'), 'max');
    assert.equal(await read(root, 'berth/c1/memory.swap.max'), 'max');
    assert.equal(await read(root, 'berth/c1/pids.max'), 'max');
    await writeFile(join(root, 'berth/c1/cpu.max'), '50000 200000');
    await d.update(cg, { cpuQuota: -1 });
    assert.equal(await read(root, 'berth/c1/cpu.max'), 'max 200000');
  });

  it('leaves files alone for fields not given', async () => {
    const d = new CgroupV2Driver(root);
    await writeFile(join(root, 'berth/c1/pids.max'), '7');
    await d.update(cg, { cpuShares: 2 });
    assert.equal(await read(root, 'berth/c1/pids.max'), '7');
    assert.equal(await read(root, 'berth/c1/cpu.weight'), '1');
  });

  it('reads the OOM-kill counter from memory.events, 0 for a cgroup that is gone', async () => {
    const d = new CgroupV2Driver(root);
    assert.equal(await d.oomKills(cg), 2);
    assert.equal(await d.memoryPeak(cg), 8192);
    assert.equal(await d.memoryPeak('/berth/gone'), 0);
    assert.equal(await d.oomKills('/berth/gone'), 0);
  });

  it('samples cpu, throttling, memory, pids and io', async () => {
    const s = await new CgroupV2Driver(root).sample(cg);
    assert.equal(s.cpuUsageNs, 1_500_000);
    assert.equal(s.cpuSystemNs, 500_000);
    assert.deepEqual(s.throttling, { periods: 10, throttledPeriods: 4, throttledTimeNs: 300_000 });
    assert.equal(s.memoryUsage, 4096);
    assert.equal(s.memoryMaxUsage, 8192);
    assert.equal(s.memoryStats.inactive_file, 512);
    assert.equal(s.pids, 3);
    assert.deepEqual(s.ioServiceBytes, [{ major: 8, minor: 0, op: 'read', value: 100 }, { major: 8, minor: 0, op: 'write', value: 200 }]);
  });

  it('is detected from cgroup.controllers at the root, with the host CPUs', async () => {
    const s = await detectCgroupSupport(root);
    assert.equal(s.version, 2);
    assert.equal(s.cpus, '0-3');
    assert.equal(s.oomKillDisable, false);
    assert.equal(s.memorySwappiness, false);
    assert.equal(s.pidsLimit, true);
  });

  it('converts shares and blkio weights as runc does', () => {
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(blkioToIoWeight(10), 1);
    assert.equal(blkioToIoWeight(1000), 10000);
  });
});

describe('cgroup v1 driver (against a temp directory)', () => {
  let root: string;
  const cg = '/berth/c1';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cgv1-'));
    await tree(root, {
      'memory/memory.limit_in_bytes': '9223372036854771712',
      'memory/memory.memsw.limit_in_bytes': '9223372036854771712',
      'memory/memory.soft_limit_in_bytes': '9223372036854771712',
      'memory/memory.swappiness': '60',
      'memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      'cpu/cpu.shares': '1024',
      'cpu/cpu.cfs_quota_us': '-1',
      'cpuset/cpuset.effective_cpus': '0-1',
      'cpuset/cpuset.effective_mems': '0',
      'pids/cgroup.procs': '',
      'blkio/blkio.throttle.read_bps_device': '',
      'memory/berth/c1/memory.limit_in_bytes': String(32 << 20),
      'memory/berth/c1/memory.memsw.limit_in_bytes': String(64 << 20),
      'memory/berth/c1/memory.soft_limit_in_bytes': '9223372036854771712',
      'memory/berth/c1/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
      'memory/berth/c1/memory.usage_in_bytes': '1000',
      'memory/berth/c1/memory.max_usage_in_bytes': '2000',
      'memory/berth/c1/memory.failcnt': '5',
      'memory/berth/c1/memory.stat': 'cache 0\ntotal_inactive_file 100\n',
      'cpu/berth/c1/cpu.cfs_period_us': '100000',
      'cpu/berth/c1/cpu.cfs_quota_us': '-1',
      'cpu/berth/c1/cpu.stat': 'nr_periods 3\nnr_throttled 1\nthrottled_time 42\n',
      'cpuacct/berth/c1/cpuacct.usage': '123',
      'cpuacct/berth/c1/cpuacct.usage_percpu': '100 23 \n',
      'cpuacct/berth/c1/cpuacct.stat': 'user 2\nsystem 1\n',
      'pids/berth/c1/pids.max': 'max',
      'pids/berth/c1/pids.current': '2',
      'blkio/berth/c1/blkio.throttle.io_service_bytes_recursive': '254:0 Read 4096\n254:0 Write 0\nTotal 4096\n',
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('raises memory+swap before memory when growing past the current limit', async () => {
    const d = new CgroupV1Driver(root);
    await d.update(cg, { memory: 128 << 20, memorySwap: 256 << 20, pidsLimit: 64, cpuQuota: 50_000, cpuPeriod: 100_000 });
    assert.equal(await read(root, 'memory/berth/c1/memory.limit_in_bytes'), String(128 << 20));
    assert.equal(await read(root, 'memory/berth/c1/memory.memsw.limit_in_bytes'), String(256 << 20));
    assert.equal(await read(root, 'pids/berth/c1/pids.max'), '64');
    assert.equal(await read(root, 'cpu/berth/c1/cpu.cfs_quota_us'), '50000');
    await d.update(cg, { pidsLimit: -1, cpuQuota: -1 });
    assert.equal(await read(root, 'pids/berth/c1/pids.max'), 'max');
    assert.equal(await read(root, 'cpu/berth/c1/cpu.cfs_quota_us'), '-1');
  });

  it('reads oom_kill from memory.oom_control and samples the v1 files', async () => {
    const d = new CgroupV1Driver(root);
    assert.equal(await d.oomKills(cg), 1);
    assert.equal(await d.memoryPeak(cg), 2000);
    const s = await d.sample(cg);
    assert.equal(s.cpuUsageNs, 123);
    assert.deepEqual(s.perCpuNs, [100, 23]);
    assert.equal(s.cpuUserNs, 20_000_000);
    assert.equal(s.memoryFailcnt, 5);
    assert.equal(s.pidsLimit, 0);
    assert.deepEqual(s.ioServiceBytes, [{ major: 254, minor: 0, op: 'Read', value: 4096 }, { major: 254, minor: 0, op: 'Write', value: 0 }]);
  });

  it('is detected without a cgroup.controllers file and reports what the host lacks', async () => {
    const s = await detectCgroupSupport(root);
    assert.equal(s.version, 1);
    assert.equal(s.swapLimit, true);
    assert.equal(s.blkioWeight, false);
    assert.equal(s.blkioReadBps, true);
    assert.equal(s.cpus, '0-1');
  });
});
