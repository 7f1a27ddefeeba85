/** docker's stats JSON from the cgroup files, its stream, berth's live table, and --cgroup-parent. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { BERTH_JS, NODE, TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

interface StatsJson {
  read: string;
  preread: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage: number; online_cpus: number; throttling_data: Record<string, number> };
  precpu_stats: { cpu_usage: { total_usage: number } };
  memory_stats: { usage: number; limit: number; max_usage?: number; failcnt?: number; stats: Record<string, number> };
  pids_stats: { current: number; limit?: number };
  blkio_stats: Record<string, unknown>;
}

describe('stats', () => {
  let d: TestDaemon;
  let id = '';
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    id = ok(await d.berth(['run', '-d', '-m', '64m', '--pids-limit', '50', 'busybox', 'sh', '-c', 'while :; do :; done']), 'run').stdout.trim();
  });
  after(async () => {
    await d?.stop();
  });

  test('one sample has docker\'s shape, with precpu filled for CPU %', async () => {
    const s = await d.client.json<StatsJson>({ method: 'GET', path: `/containers/${id}/stats`, query: { stream: '0' } });
    assert.ok(s.cpu_stats.cpu_usage.total_usage > s.precpu_stats.cpu_usage.total_usage, 'precpu is an earlier sample');
    assert.ok(s.precpu_stats.cpu_usage.total_usage > 0);
    assert.ok(s.cpu_stats.system_cpu_usage > 0);
    assert.deepEqual(Object.keys(s.cpu_stats.throttling_data).sort(), ['periods', 'throttled_periods', 'throttled_time']);
    assert.equal(s.memory_stats.limit, 64 << 20);
    assert.ok(s.memory_stats.usage > 0);
    assert.equal(s.pids_stats.limit, 50);
    assert.deepEqual(Object.keys(s.blkio_stats).sort(), ['io_merged_recursive', 'io_queue_recursive', 'io_service_bytes_recursive', 'io_service_time_recursive', 'io_serviced_recursive', 'io_time_recursive', 'io_wait_time_recursive', 'sectors_recursive']);
    if (!V2) {
      assert.equal(s.cpu_stats.cpu_usage.percpu_usage?.length, s.cpu_stats.online_cpus);
      assert.equal(typeof s.memory_stats.max_usage, 'number');
      assert.equal(typeof s.memory_stats.failcnt, 'number');
      assert.ok('total_rss' in s.memory_stats.stats);
    }
    assert.equal(s.preread === '0001-01-01T00:00:00Z', false);
  });

  test('the stream sends a sample at once and one per second, each naming the one before', async () => {
    const res = await d.client.raw({ method: 'GET', path: `/containers/${id}/stats`, query: { stream: '1' } });
    const lines: StatsJson[] = [];
    try {
      for await (const line of createInterface({ input: res })) {
        lines.push(JSON.parse(line) as StatsJson);
        if (lines.length === 2) break;
      }
    } finally {
      res.destroy();
    }
    assert.equal(lines[1]?.preread, lines[0]?.read);
    assert.ok((lines[1]?.cpu_stats.cpu_usage.total_usage ?? 0) > (lines[0]?.cpu_stats.cpu_usage.total_usage ?? 0));
  });

  test('berth stats draws a live table, docker stats --no-stream reads it too', async () => {
    const child = spawn(NODE, [BERTH_JS, 'stats', '--format', '{{.ID}} {{.PIDs}} {{.MemUsage}}'], { env: d.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await sleep(3500);
    child.kill('SIGTERM');
    const rows = out.split('\n').filter((l) => l.startsWith(id.slice(0, 12)));
    assert.ok(rows.length >= 2, `the table was redrawn: ${out}`);
    assert.match(rows[0] ?? '', /^\S+ 1 .+ \/ 64MiB$/);
    const viaDocker = ok(await d.docker(['stats', '--no-stream', '--format', '{{.ID}} {{.PIDs}}', id]), 'docker stats');
    assert.equal(viaDocker.stdout.trim(), `${id.slice(0, 12)} 1`);
  });

  test('--cgroup-parent puts the container under its own parent; stats and update follow it', async () => {
    const parent = `${d.cgroupParent}/custom-parent`;
    const cid = ok(await d.berth(['run', '-d', '--cgroup-parent', parent, '-m', '32m', 'busybox', 'sleep', '60']), 'run').stdout.trim();
    try {
      const dir = V2 ? `/sys/fs/cgroup${parent}/${cid}` : `/sys/fs/cgroup/memory${parent}/${cid}`;
      assert.ok(existsSync(dir), `cgroup ${dir} exists`);
      assert.equal(ok(await d.docker(['inspect', '--format', '{{.HostConfig.CgroupParent}}', cid]), 'inspect').stdout.trim(), parent);
      ok(await d.berth(['update', '-m', '40m', cid]), 'update');
      const s = await d.client.json<StatsJson>({ method: 'GET', path: `/containers/${cid}/stats`, query: { stream: '0', 'one-shot': '1' } });
      assert.equal(s.memory_stats.limit, 40 << 20);
    } finally {
      await d.berth(['rm', '-f', cid]);
    }
  });
});
