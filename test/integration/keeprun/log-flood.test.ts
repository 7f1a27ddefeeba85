import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

const FLOOD_BYTES = 600 * 1000 * 1000;
const MAX_SIZE = 10 * 1000 * 1000; // max-size=10m, as json-file reads it (decimal)

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

describe('a container flooding stdout', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d.docker(['rm', '-f', 'flood']).catch(() => undefined);
    await d?.stop();
  });

  test('max-size=10m,max-file=3 keeps disk bounded and the daemon answers ps quickly throughout', async () => {
    // 600 MB of 100-byte lines, written 1 MB at a time as fast as the container can.
    const line = 'x'.repeat(99);
    const script = `yes ${line} | head -c 1000000 > /tmp/chunk; i=0; while [ $i -lt ${FLOOD_BYTES / 1e6} ]; do cat /tmp/chunk; i=$((i+1)); done`;
    // compress=false: the daemon's default compress=true has a gzip file in the making beside the 3.
    ok(await d.docker(['run', '-d', '--name', 'flood', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', '--log-opt', 'compress=false', 'busybox', 'sh', '-c', script]), 'run');
    const started = Date.now();
    const logPath = ok(await d.docker(['inspect', '-f', '{{.LogPath}}', 'flood']), 'inspect').stdout.trim();
    const latencies: number[] = [];
    let maxDisk = 0;
    let maxFiles = 0;
    for (;;) {
      const t = Date.now();
      const list = (await d.client.json<Array<{ Names: string[]; State: string }>>({ method: 'GET', path: '/containers/json' })) ?? [];
      latencies.push(Date.now() - t);
      const files = (await readdir(dirname(logPath))).filter((f) => f.startsWith(basename(logPath)));
      let disk = 0;
      for (const f of files) disk += await stat(join(dirname(logPath), f)).then((s) => s.size, () => 0);
      maxDisk = Math.max(maxDisk, disk);
      maxFiles = Math.max(maxFiles, files.length);
      if (!list.some((c) => c.Names[0] === '/flood')) break;
      if (Date.now() - started > 120_000) assert.fail('the flood did not end within 2 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - started) / 1000;
    // Each 100-byte line is about 160 bytes of json-file entry.
    const rate = FLOOD_BYTES / seconds / 1e6;
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    console.log(`flood: ${FLOOD_BYTES / 1e6} MB in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} MB/s of stdout; log disk max ${(maxDisk / 1e6).toFixed(1)} MB in ${maxFiles} files; ps latency p50 ${p50} ms, p95 ${p95} ms, max ${Math.max(...latencies)} ms over ${latencies.length} calls`);
    assert.ok(maxFiles <= 3, `at most 3 log files, saw ${maxFiles}`);
    assert.ok(maxDisk <= 3 * MAX_SIZE + 1e6, `log disk use bounded by 3 × 10 MB, saw ${maxDisk}`);
    assert.ok(p95 < 500, `ps p95 latency ${p95} ms during the flood`);
    const tail = ok(await d.docker(['logs', '--tail', '2', 'flood']), 'logs').stdout;
    assert.match(tail, /^x+\n/);
  });
});
