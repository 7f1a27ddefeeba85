import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

/**
 * A budget in bytes of the data root (du -sbx), where every image is in use: the rotated logs go,
 * oldest first, and never the live log; `docker logs` still shows the latest lines.
 */
describe('storage budget: rotated logs', () => {
  let d: TestDaemon;
  const du = async (): Promise<number> => Number(ok(await run('du', ['-sbx', d.dataRoot]), 'du').stdout.split('\t')[0]);
  const logFiles = async (id: string): Promise<string[]> => (await readdir(join(d.dataRoot, 'containers', id))).filter((n) => n.includes('-json.log')).sort();

  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  test('past the high mark with nothing else to take, rotated logs go (the live one stays), then records of removed containers', async () => {
    // About 6 MB of log lines in 1 MB files: 4 rotated ones (max-file=5), the live one.
    ok(await d.docker(['run', '--name', 'chatty', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=5', '--log-opt', 'compress=false', 'busybox', 'sh', '-c', 'head -c 4500000 /dev/urandom | base64; echo last-line']), 'run');
    const id = ok(await d.docker(['inspect', '-f', '{{.Id}}', 'chatty']), 'inspect').stdout.trim();
    const files = await logFiles(id);
    assert.deepEqual(files, [`${id}-json.log`, ...[1, 2, 3, 4].map((n) => `${id}-json.log.${n}`)]);
    // A removed container whose record keeps its last 1 MiB of log.
    ok(await d.docker(['run', '--name', 'gone', 'busybox', 'sh', '-c', 'head -c 1500000 /dev/urandom | base64']), 'run gone');
    ok(await d.docker(['rm', 'gone']), 'rm gone');
    const records = async (): Promise<number> => (await d.client.json<unknown[]>({ method: 'GET', path: '/berth/v1/removed' })).length;
    assert.equal(await records(), 1);
    const size = await du();
    await d.halt();
    // High just under today's size; low 2.5 MB under it: three rotated files must go, not the live one.
    d.extraArgs.push('--storage-budget', `high=${size - 200_000},low=${size - 2_500_000}`);
    await d.launch();
    const left = await until(async () => {
      const f = await logFiles(id);
      return f.length <= 2 ? f : undefined;
    }, 'rotated logs removed', 10_000);
    // The live log stays, and the oldest (highest-numbered) files went first.
    assert.deepEqual(left, files.slice(0, left.length));
    assert.ok((await du()) <= size - 2_500_000, 'under the low mark');
    assert.equal(await records(), 1, 'logs were enough: the record stays');
    // Lower marks: the rest of the rotated logs, then the record.
    await d.halt();
    d.extraArgs.splice(-2, 2, '--storage-budget', `high=${size - 3_300_000},low=${size - 5_000_000}`);
    await d.launch();
    await until(async () => ((await records()) === 0 ? true : undefined), 'the record of the removed container dropped', 10_000);
    assert.deepEqual(await logFiles(id), [`${id}-json.log`]);
    assert.match(ok(await d.docker(['logs', '--tail', '1', 'chatty']), 'logs').stdout, /^last-line\n$/);
    assert.equal((await d.docker(['image', 'inspect', 'busybox'])).code, 0, 'busybox is used by the stopped container');
    const events = ok(await d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=container', '--filter', 'event=prune-logs', '--format', '{{index .Actor.Attributes "reason"}} {{index .Actor.Attributes "file"}}']), 'events').stdout;
    assert.match(events, new RegExp(`^storage-budget \\S+-json\\.log\\.4$`, 'm'), events);
    const pruned = ok(await d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=prune-removed', '--format', '{{index .Actor.Attributes "reason"}}']), 'events').stdout;
    assert.equal(pruned.trim(), 'storage-budget');
    const budget = ok(await d.berth(['system', 'budget']), 'budget').stdout;
    assert.match(budget, /rotated logs +\d/);
    assert.match(budget, /records of removed containers +0B/);
  });

  test('berth system check: whole after all that; a missing config blob is named, exit 1', async () => {
    assert.match(ok(await d.berth(['system', 'check']), 'check').stdout, /^The image store is whole/);
    const id = ok(await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
    await rm(join(d.dataRoot, 'content', 'blobs', 'sha256', id.replace(/^sha256:/, '')));
    const r = await d.berth(['system', 'check']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `image ${id}: config blob missing\n`);
  });
});
