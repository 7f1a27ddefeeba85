import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, readAll } from '../../../src/client/engine-client.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

interface Kept {
  Id: string;
  Name: string;
  Image: string;
  Path: string;
  Args: string[];
  ExitCode: number | null;
  Reason: string;
  OOMKilled: boolean;
  PeakMemory: number | null;
  StartedAt: string;
  FinishedAt: string;
  RemovedAt: string;
  RemovedBy: string;
  Labels: Record<string, string>;
  Log: { Bytes: number; Truncated: boolean };
}

const NOTICE = /^berth: container (\S+) \(([0-9a-f]{12})\) was removed (.+) ago \((\d{4}-\d\d-\d\dT[^)]+Z)\); showing its kept record$/m;

async function apiStatus(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 200, message: '' };
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, message: err.message };
    throw err;
  }
}

describe('the record of a removed container', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  const kept = (ref: string): Promise<Kept> => d.client.json<Kept>({ method: 'GET', path: `/berth/v1/removed/${ref}` });
  const list = (filters?: Record<string, string[]>): Promise<Kept[]> => d.client.json<Kept[]>({ method: 'GET', path: '/berth/v1/removed', query: { filters: filters ? JSON.stringify(filters) : undefined } });

  // The issue's `--name t`: docker (and Berth) refuse one-character names, so `t1`.
  test('docker rm keeps the exit, the command and the last words: berth logs, ps --removed and inspect show them, the Docker API says 404', async () => {
    const run = await d.docker(['run', '--name', 't1', '--label', 'team=core', 'busybox', 'sh', '-c', 'echo first; echo last words; exit 7']);
    assert.equal(run.code, 7, run.stderr);
    const id = ok(await d.docker(['inspect', '-f', '{{.Id}}', 't1']), 'inspect').stdout.trim();
    ok(await d.docker(['rm', 't1']), 'rm');

    const logs = ok(await d.berth(['logs', 't1']), 'berth logs');
    assert.equal(logs.stdout, 'first\nlast words\n');
    const notice = NOTICE.exec(logs.stderr);
    assert.ok(notice, `one notice line on stderr: ${logs.stderr}`);
    assert.equal(notice[1], 't1');
    assert.equal(notice[2], id.slice(0, 12));
    assert.equal(ok(await d.berth(['logs', '--tail', '1', 't1']), 'logs --tail').stdout, 'last words\n');

    const ps = ok(await d.berth(['ps', '--removed']), 'ps --removed').stdout.split('\n');
    assert.match(ps[0] ?? '', /^CONTAINER ID\s+IMAGE\s+COMMAND\s+EXIT\s+FINISHED\s+REMOVED\s+NAMES$/);
    const row = ps.find((l) => l.startsWith(id.slice(0, 12))) ?? '';
    assert.match(row, /busybox\s+"sh -c echo first; e…"\s+7 \(exited\)\s+(Less than a second|\d+ seconds) ago\s+(Less than a second|\d+ seconds) ago\s+t1$/);
    assert.deepEqual(ok(await d.berth(['ps', '--removed', '-q', '--no-trunc']), 'ps -q').stdout.trim().split('\n'), [id]);
    const json = JSON.parse(ok(await d.berth(['ps', '--removed', '--format', 'json']), 'ps json').stdout.trim()) as Record<string, string>;
    assert.equal(json.Exit, '7 (exited)');
    assert.equal(json.Names, 't1');

    const inspect = ok(await d.berth(['inspect', 't1']), 'berth inspect');
    const [record] = JSON.parse(inspect.stdout) as Kept[];
    assert.match(inspect.stderr, NOTICE);
    assert.equal(record?.ExitCode, 7);
    assert.equal(record?.Reason, 'exited');
    assert.deepEqual([record?.Path, record?.Args], ['sh', ['-c', 'echo first; echo last words; exit 7']]);
    assert.equal(record?.Labels.team, 'core');
    assert.equal(record?.RemovedBy, 'user');
    assert.ok(Date.parse(record?.FinishedAt ?? '') <= Date.parse(record?.RemovedAt ?? ''));
    assert.equal(ok(await d.berth(['container', 'inspect', '-f', '{{.ExitCode}} {{.Reason}}', 't1']), 'container inspect -f').stdout, '7 exited\n');

    // Docker's API and CLI know nothing of it, exactly as before.
    const docker = await d.docker(['logs', 't1']);
    assert.notEqual(docker.code, 0);
    assert.match(docker.stderr, /No such container: t1/);
    assert.deepEqual(await apiStatus(d.client.json({ method: 'GET', path: '/containers/t1/json' })), { status: 404, message: 'No such container: t1' });
    assert.equal((await apiStatus(d.client.json({ method: 'GET', path: `/containers/${id}/logs`, query: { stdout: true } }))).status, 404);
  });

  test('a live container of the same name wins over the record', async () => {
    ok(await d.docker(['run', '--name', 't1', 'busybox', 'echo', 'alive']), 'run');
    try {
      const logs = ok(await d.berth(['logs', 't1']), 'logs');
      assert.equal(logs.stdout, 'alive\n');
      assert.doesNotMatch(logs.stderr, /removed/);
      assert.equal(ok(await d.berth(['inspect', '-f', '{{.State.ExitCode}}', 't1']), 'inspect').stdout, '0\n');
    } finally {
      await d.docker(['rm', '-f', 't1']);
    }
    // Removed twice: the name finds the newest record.
    assert.equal((await kept('t1')).Path, 'echo');
    assert.equal((await list({ name: ['^t1$'] })).length, 2);
  });

  test('/berth/v1/removed: list with filters, lookup by prefix, kept logs with tail and timestamps, clear errors', async () => {
    const a = (await kept('t1')).Id;
    assert.deepEqual((await list({ exited: ['7'] })).map((r) => r.ExitCode), [7]);
    assert.deepEqual((await list({ label: ['team=core'] })).map((r) => r.Name), ['/t1']);
    assert.equal((await list({ reason: ['exited'] })).length, 2);
    assert.equal((await list({ since: ['1h'] })).length, 2);
    assert.equal((await list({ until: ['1h'] })).length, 0);
    const all = await list();
    assert.ok(Date.parse(all[0]?.RemovedAt ?? '') >= Date.parse(all[1]?.RemovedAt ?? ''), 'newest first');
    assert.equal((await kept(a.slice(0, 10))).Id, a);

    const first = all.find((r) => r.ExitCode === 7);
    const res = await d.client.raw({ method: 'GET', path: `/berth/v1/removed/${first?.Id}/logs`, query: { stdout: true, stderr: true, tail: 1, timestamps: true } });
    assert.equal(res.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const body = await readAll(res);
    assert.equal(body[0], 1, 'a stdout frame');
    assert.match(body.subarray(8).toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z last words\n$/);

    assert.deepEqual(await apiStatus(kept('nosuch')), { status: 404, message: 'No such removed container: nosuch (none is kept by that name or ID; berth ps --removed lists those kept)' });
    // Two IDs share a one-character prefix often enough; make it certain with the empty-ish prefix of all hex.
    const ids = all.map((r) => r.Id);
    const shared = [...'0123456789abcdef'].find((c) => ids.filter((i) => i.startsWith(c)).length > 1);
    if (shared) assert.deepEqual(await apiStatus(kept(shared)), { status: 409, message: `multiple removed containers found with provided prefix: ${shared}; give more of the ID` });
    assert.equal((await apiStatus(d.client.json({ method: 'GET', path: '/berth/v1/removed', query: { filters: JSON.stringify({ colour: ['red'] }) } }))).status, 400);
  });

  test('--rm and prune keep records too, saying how the container was removed', async () => {
    const r = await d.docker(['run', '--rm', '--name', 'auto', 'busybox', 'sh', '-c', 'echo bye; exit 3']);
    assert.equal(r.code, 3);
    const auto = await until(async () => (await list({ name: ['^auto$'] }))[0], 'the auto-removed record');
    assert.deepEqual([auto.ExitCode, auto.RemovedBy], [3, 'auto-remove']);
    assert.equal(ok(await d.berth(['logs', 'auto']), 'logs').stdout, 'bye\n');
    ok(await d.docker(['create', '--name', 'never', 'busybox', 'true']), 'create');
    ok(await d.docker(['container', 'prune', '-f']), 'prune');
    const never = await kept('never');
    assert.deepEqual([never.ExitCode, never.Reason, never.RemovedBy], [null, 'created', 'prune']);
  });

  test('rm -f of a running container records a kill by the removal, with docker\'s kill event', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(await d.docker(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '300']), 'run -d');
    ok(await d.docker(['rm', '-f', 'busy']), 'rm -f');
    const record = await kept('busy');
    assert.deepEqual([record.ExitCode, record.Reason], [137, 'killed']);
    assert.match(ok(await d.berth(['inspect', '-f', '{{.Message}}', 'busy']), 'inspect').stdout, /by a forced removal \(docker rm -f\)/);
    const events = ok(await d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'container=busy', '--format', '{{.Action}}']), 'events').stdout;
    assert.deepEqual(events.trim().split('\n').filter((a) => ['kill', 'die', 'destroy'].includes(a)), ['kill', 'die', 'destroy']);
  });

  test('a container the OOM killer ended is kept with reason oom and its peak memory', async () => {
    const hog = 'echo eating; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived';
    const r = await d.docker(['run', '--name', 'hog', '-m', '32m', 'busybox', 'sh', '-c', hog]);
    assert.equal(r.code, 137, r.stderr);
    ok(await d.docker(['rm', 'hog']), 'rm');
    const record = await kept('hog');
    assert.deepEqual([record.ExitCode, record.Reason, record.OOMKilled], [137, 'oom', true]);
    assert.ok((record.PeakMemory ?? 0) > 16 * 1024 * 1024, `peak memory near the 32 MiB limit: ${record.PeakMemory}`);
    assert.match(ok(await d.berth(['ps', '--removed', '--filter', 'name=hog']), 'ps').stdout, /137 \(oom\)/);
    assert.equal(ok(await d.berth(['logs', 'hog']), 'logs').stdout, 'eating\n');
  });

  test('die, oom and destroy are in the journal and survive a daemon restart; an --rm container not running is removed then, as dockerd does', async () => {
    const since = Math.floor(Date.now() / 1000) - 600;
    ok(await d.docker(['create', '--rm', '--name', 'rmcreated', 'busybox', 'true']), 'create --rm');
    await d.halt('SIGKILL');
    await d.launch();
    assert.equal(ok(await d.docker(['ps', '-a', '-q', '--filter', 'name=^rmcreated$']), 'ps').stdout, '');
    const gone = await kept('rmcreated');
    assert.deepEqual([gone.ExitCode, gone.Reason, gone.RemovedBy], [null, 'created', 'auto-remove']);
    const events = ok(await d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}']), 'events').stdout;
    assert.match(events, /^die t1 7$/m);
    assert.match(events, /^destroy t1 <no value>$/m);
    assert.match(events, /^oom hog <no value>$/m);
    assert.match(events, /^die hog 137$/m);
    assert.match(events, /^destroy hog <no value>$/m);
    // The records outlive the daemon too.
    assert.equal((await kept('hog')).Reason, 'oom');
  });
});

describe('retention of removed containers\' records', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox(['--keep-removed', '4s', '--keep-removed-size', '30k']);
  });
  after(async () => {
    await d?.stop();
  });

  const names = async (): Promise<string[]> => (await d.client.json<Kept[]>({ method: 'GET', path: '/berth/v1/removed' })).map((r) => r.Name);

  test('the byte cap drops the oldest, and the records are gone once the retention passes', async () => {
    // Each record takes three 4 KiB blocks (directory, record, log): a 30k cap keeps two.
    for (const n of ['r1', 'r2', 'r3', 'r4']) {
      ok(await d.docker(['run', '--name', n, 'busybox', 'echo', n]), 'run');
      ok(await d.docker(['rm', n]), 'rm');
    }
    assert.deepEqual(await names(), ['/r4', '/r3']);
    assert.equal(ok(await d.berth(['logs', 'r4']), 'logs').stdout, 'r4\n');
    const gone = await d.berth(['logs', 'r1']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No such container: r1/);
    await until(async () => ((await names()).length === 0 ? true : undefined), 'the records to expire', 10_000);
    assert.equal(ok(await d.berth(['ps', '--removed', '-q']), 'ps').stdout, '');
    // Every record dropped is an event with its reason (the byte cap took r1 and r2, the time r3 and r4).
    const dropped = ok(await d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=prune-removed', '--format', '{{index .Actor.Attributes "name"}} {{index .Actor.Attributes "reason"}}']), 'events').stdout;
    assert.deepEqual(dropped.trim().split('\n').sort(), ['r1 retention', 'r2 retention', 'r3 retention', 'r4 retention']);
  });
});

describe('berthd --keep-removed 0', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox(['--keep-removed', '0']);
  });
  after(async () => {
    await d?.stop();
  });

  test('keeps no record', async () => {
    ok(await d.docker(['run', '--name', 'zz', 'busybox', 'echo', 'zz']), 'run');
    ok(await d.docker(['rm', 'zz']), 'rm');
    assert.deepEqual(await d.client.json({ method: 'GET', path: '/berth/v1/removed' }), []);
    await sleep(10);
  });
});
