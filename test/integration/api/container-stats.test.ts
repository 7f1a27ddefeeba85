import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

describe('container stats from the cgroup', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  test('stats --no-stream shows a busy container using CPU, memory and one process', async () => {
    const id = ok(await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'while true; do :; done']), 'run').stdout.trim();
    try {
      const r = ok(await d.docker(['stats', '--no-stream', '--format', '{{.ID}} {{.CPUPerc}} {{.PIDs}}']), 'docker stats');
      const [shown, cpu, pids] = r.stdout.trim().split(' ');
      assert.equal(shown, id.slice(0, 12));
      // Any clearly non-zero share proves the accounting; the exact share depends on the host's load.
      assert.ok(Number.parseFloat(cpu ?? '0') > 5, `a busy loop uses CPU (${cpu})`);
      assert.equal(pids, '1');
      const raw = await d.client.json<{ memory_stats: { usage: number; limit: number }; pids_stats: { current: number }; cpu_stats: { online_cpus: number } }>({
        method: 'GET',
        path: `/containers/${id}/stats`,
        query: { stream: '0' },
      });
      assert.ok(raw.memory_stats.usage > 0);
      assert.ok(raw.memory_stats.limit > 0);
      assert.equal(raw.pids_stats.current, 1);
      assert.ok(raw.cpu_stats.online_cpus >= 1);
      const stopped = await d.docker(['run', '-d', 'busybox', 'true']);
      ok(stopped, 'run');
      ok(await d.docker(['wait', stopped.stdout.trim()]), 'wait');
      const refused = await d.client.raw({ method: 'GET', path: `/containers/${stopped.stdout.trim()}/stats`, query: { stream: '0' } }).then(() => 200, (err: { status?: number }) => err.status);
      assert.equal(refused, 409);
    } finally {
      await d.docker(['rm', '-f', id]);
    }
  });
});
