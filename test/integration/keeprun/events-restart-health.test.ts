import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { unmountUnder } from '../../helpers/mounts.js';
import { ok, until } from '../../helpers/expect.js';
import { removeTestNetworking } from '../../helpers/test-network.js';
import { createServer } from 'node:net';

interface Ev { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; status?: string; id?: string; from?: string; time: number; timeNano: number; scope: string }

describe('events, restart policies, health checks, exit explanations', () => {
  let d: TestDaemon;
  const t0 = Math.floor(Date.now() / 1000) - 1;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    for (const n of ['ev', 'rs', 'of', 'hc', 'boot1', 'boot2', 'boot3', 'dead', 'killed']) await d.docker(['rm', '-f', n]).catch(() => undefined);
    await d?.stop();
  });

  const history = async (filters: string[], cli: 'docker' | 'berth' = 'docker'): Promise<Ev[]> => {
    const args = ['events', '--since', String(t0), '--until', String(Math.floor(Date.now() / 1000) + 1), '--format', '{{json .}}', ...filters.flatMap((f) => ['--filter', f])];
    const r = ok(cli === 'docker' ? await d.docker(args) : await d.berth(args), `${cli} events`);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  };

  test('container, image and volume events in docker shapes, for both CLIs and after a daemon crash', async () => {
    assert.equal((await d.docker(['run', '--name', 'ev', '--label', 'team=blue', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
    ok(await d.docker(['volume', 'create', 'evvol']), 'volume create');
    ok(await d.docker(['volume', 'rm', 'evvol']), 'volume rm');
    ok(await d.docker(['tag', 'busybox', 'evtag:1']), 'tag');
    ok(await d.docker(['rmi', 'evtag:1']), 'rmi');
    const evs = await history(['container=ev']);
    const actions = evs.map((e) => e.Action);
    for (const a of ['create', 'attach', 'start', 'die']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
    const die = evs.find((e) => e.Action === 'die') as Ev;
    assert.equal(die.Actor.Attributes.exitCode, '3');
    assert.equal(die.Actor.Attributes.name, 'ev');
    assert.equal(die.Actor.Attributes.team, 'blue');
    assert.equal(die.Actor.Attributes.image, 'busybox');
    assert.equal(die.status, 'die');
    assert.equal(die.from, 'busybox');
    assert.equal(die.scope, 'local');
    assert.equal(die.Type, 'container');
    assert.ok(die.timeNano >= die.time * 1e9);
    const vol = (await history(['type=volume'])).filter((e) => e.Actor.ID === 'evvol').map((e) => e.Action);
    assert.deepEqual(vol, ['create', 'destroy']);
    const img = (await history(['type=image', 'event=tag', 'event=untag', 'image=evtag'], 'berth')).map((e) => `${e.Action} ${e.Actor.Attributes.name}`);
    assert.deepEqual(img, ['tag evtag:1', 'untag evtag:1']);
    // The default format, as docker prints it.
    const pretty = ok(await d.berth(['events', '--since', String(t0), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=die', '--filter', 'container=ev']), 'pretty').stdout;
    assert.match(pretty, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container die [0-9a-f]{64} \(execDuration=\d+, exitCode=3, image=busybox, name=ev, team=blue\)\n$/);
    // The journal survives a daemon killed with SIGKILL.
    await d.halt('SIGKILL');
    await d.launch();
    assert.ok((await history(['container=ev', 'event=die'])).length === 1, 'die survives the crash');
    // A bad filter is docker's 400.
    const bad = await d.docker(['events', '--since', '1s', '--until', '0s', '--filter', 'colour=red']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'colour'/);
  });

  test('more event kinds: volume mount/unmount, pause, rename, exec, kill, stop, save, load, daemon reload', async () => {
    ok(await d.docker(['run', '--rm', '-v', 'mnt:/d', 'busybox', 'true']), 'run with a volume');
    const vol = (await history(['volume=mnt'])).map((e) => e.Action);
    assert.deepEqual(vol, ['create', 'mount', 'unmount']);
    ok(await d.docker(['run', '-d', '--name', 'kinds', 'busybox', 'sleep', '300']), 'run');
    ok(await d.docker(['pause', 'kinds']), 'pause');
    ok(await d.docker(['unpause', 'kinds']), 'unpause');
    ok(await d.docker(['rename', 'kinds', 'kinds2']), 'rename');
    ok(await d.docker(['exec', 'kinds2', 'true']), 'exec');
    ok(await d.docker(['kill', '-s', 'USR1', 'kinds2']), 'kill USR1');
    ok(await d.docker(['stop', '-t', '1', 'kinds2']), 'stop');
    ok(await d.docker(['rm', 'kinds2']), 'rm');
    const actions = (await history(['container=kinds2'])).map((e) => e.Action.replace(/^(exec_\w+): .*/, '$1'));
    for (const a of ['rename', 'exec_create', 'exec_start', 'exec_die', 'kill', 'die', 'stop', 'destroy']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
    const paused = (await history(['event=pause', 'event=unpause'])).map((e) => e.Action);
    assert.deepEqual(paused, ['pause', 'unpause']);
    const tar = `${d.root}/ev.tar`;
    ok(await d.docker(['save', '-o', tar, 'busybox']), 'save');
    ok(await d.docker(['load', '-i', tar]), 'load');
    const img = (await history(['type=image', 'event=save', 'event=load'])).map((e) => `${e.Action} ${e.Actor.ID}`);
    assert.deepEqual(img, ['save busybox', 'load busybox:latest']);
    process.kill(await d.pidFromFile(), 'SIGHUP');
    await until(async () => ((await history(['type=daemon'])).some((e) => e.Action === 'reload') ? true : undefined), 'reload event');
  });

  test('a live stream delivers events as they happen and ends at --until', async () => {
    const end = String(Math.floor(Date.now() / 1000) + 6);
    const seen = d.logs.split('/events?').length;
    const stream = d.docker(['events', '--since', String(Math.floor(Date.now() / 1000)), '--until', end, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
    await until(async () => (d.logs.split('/events?').length > seen ? true : undefined), 'the events request');
    ok(await d.docker(['volume', 'create', 'livevol']), 'create');
    ok(await d.docker(['volume', 'rm', 'livevol']), 'rm');
    const r = ok(await stream, 'stream');
    assert.deepEqual(r.stdout.trim().split('\n'), ['create livevol', 'destroy livevol']);
  });

  test('--restart always restarts with back-off and counts; stop suppresses it; update changes it', async () => {
    ok(await d.docker(['run', '-d', '--name', 'rs', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2; exit 3']), 'run');
    const count = async (): Promise<number> => Number(ok(await d.docker(['inspect', '-f', '{{.RestartCount}}', 'rs']), 'inspect').stdout.trim());
    await until(async () => ((await count()) >= 3 ? true : undefined), 'three restarts', 15_000);
    // Back-off: 100, 200, 400, 800, 1600 ms… plus the runs, so 3 s hold at most about 6 restarts.
    const before = await count();
    await new Promise((r) => setTimeout(r, 3000));
    const gained = (await count()) - before;
    assert.ok(gained >= 1 && gained <= 4, `restarts in 3 s after ${before}: ${gained}`);
    const policy = ok(await d.docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'rs']), 'inspect').stdout.trim();
    assert.equal(policy, 'always');
    ok(await d.docker(['stop', '-t', '1', 'rs']), 'stop');
    const stopped = await count();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Status}}', 'rs']), 'inspect').stdout.trim(), 'exited');
    assert.equal(await count(), stopped, 'no restart after docker stop');
    ok(await d.docker(['update', '--restart', 'on-failure:2', 'rs']), 'docker update');
    assert.equal(ok(await d.berth(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'rs']), 'inspect').stdout.trim(), 'on-failure:2');
    ok(await d.berth(['update', '--restart', 'no', 'rs']), 'berth update');
    const badUpdate = await d.docker(['update', '--restart', 'always:3', 'rs']);
    assert.notEqual(badUpdate.code, 0);
  });

  test('--restart on-failure:2 stops after two restarts; exit 0 is not restarted', async () => {
    ok(await d.docker(['run', '-d', '--name', 'of', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']), 'run');
    await until(async () => {
      const s = ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'of']), 'inspect').stdout.trim();
      return s === 'exited 2' ? s : undefined;
    }, 'on-failure to give up after 2', 15_000);
    const dies = (await history(['container=of', 'event=die'])).length;
    assert.equal(dies, 3);
    const run = await d.docker(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
    assert.notEqual(run.code, 0, '--rm with --restart is refused');
    ok(await d.docker(['run', '-d', '--name', 'killme', '--restart', 'always', 'busybox', 'sleep', '300']), 'run always');
    ok(await d.docker(['kill', 'killme']), 'kill');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'killme']), 'inspect').stdout.trim(), 'exited 0', 'docker kill suppresses the restart');
    ok(await d.docker(['rm', 'killme']), 'rm');
  });

  test('health checks flip healthy → unhealthy → healthy, show in ps, filter and events, also after a restart', async () => {
    ok(await d.docker(['run', '-d', '--name', 'hc', '--health-cmd', 'cat /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', '--health-timeout', '2s',
      'busybox', 'sh', '-c', 'echo fine > /tmp/ok; exec sleep 300']), 'run');
    const status = async (): Promise<string> => ok(await d.docker(['inspect', '-f', '{{.State.Health.Status}}', 'hc']), 'inspect').stdout.trim();
    await until(async () => ((await status()) === 'healthy' ? true : undefined), 'healthy', 15_000);
    assert.match(ok(await d.docker(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']), 'ps').stdout, /^Up .* \(healthy\)\n$/);
    assert.equal(ok(await d.docker(['ps', '-q', '--filter', 'health=healthy']), 'ps filter').stdout.trim().length, 12);
    ok(await d.docker(['exec', 'hc', 'rm', '/tmp/ok']), 'break it');
    await until(async () => ((await status()) === 'unhealthy' ? true : undefined), 'unhealthy', 15_000);
    const h = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .State.Health}}', 'hc']), 'inspect').stdout) as { FailingStreak: number; Log: Array<{ ExitCode: number; Output: string }> };
    assert.ok(h.FailingStreak >= 2);
    assert.ok(h.Log.length <= 5 && h.Log.length >= 2);
    assert.match(h.Log.at(-1)?.Output ?? '', /No such file/);
    assert.equal(ok(await d.berth(['ps', '-q', '--filter', 'health=unhealthy']), 'ps filter').stdout.trim().length, 12);
    ok(await d.docker(['exec', 'hc', 'sh', '-c', 'echo back > /tmp/ok']), 'fix it');
    await until(async () => ((await status()) === 'healthy' ? true : undefined), 'healthy again', 15_000);
    const flips = () => history(['container=hc', 'event=health_status']).then((evs) => evs.map((e) => e.Action));
    assert.deepEqual(await flips(), ['health_status: healthy', 'health_status: unhealthy', 'health_status: healthy']);
    await d.halt('SIGKILL');
    await d.launch();
    assert.deepEqual(await flips(), ['health_status: healthy', 'health_status: unhealthy', 'health_status: healthy'], 'after a daemon crash');
    assert.equal(await status(), 'healthy');
    ok(await d.docker(['exec', 'hc', 'rm', '/tmp/ok']), 'break it again');
    await until(async () => ((await status()) === 'unhealthy' ? true : undefined), 'probes continue after the restart', 15_000);
    const bad = await d.docker(['run', '--health-interval', '10us', '--health-cmd', 'true', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
  });

  test("an image's HEALTHCHECK applies unless --no-healthcheck; commit keeps it and is an event", async () => {
    ok(await d.docker(['run', '-d', '--name', 'hcsrc', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '300']), 'run');
    ok(await d.docker(['commit', 'hcsrc', 'hcimg:1']), 'commit');
    const commit = (await history(['container=hcsrc', 'event=commit']))[0];
    assert.equal(commit?.Actor.Attributes.imageRef, 'hcimg:1');
    ok(await d.docker(['run', '-d', '--name', 'hcimg', 'hcimg:1']), 'run the image');
    ok(await d.docker(['run', '-d', '--name', 'hcnone', '--no-healthcheck', 'hcimg:1']), 'run without the check');
    await until(async () => (ok(await d.docker(['inspect', '-f', '{{.State.Health.Status}}', 'hcimg']), 'inspect').stdout.trim() === 'healthy' ? true : undefined), 'image healthcheck', 15_000);
    assert.equal(ok(await d.docker(['inspect', '-f', '{{json .State.Health}}', 'hcnone']), 'inspect').stdout.trim(), 'null');
    assert.match(ok(await d.docker(['ps', '--filter', 'health=none', '--format', '{{.Names}}']), 'ps').stdout, /hcnone/);
    for (const n of ['hcsrc', 'hcimg', 'hcnone']) ok(await d.docker(['rm', '-f', n]), 'rm');
  });

  test('inspect of a dead container says why it ended and shows its last lines', async () => {
    const r = await d.docker(['run', '--name', 'dead', 'busybox', 'sh', '-c', 'echo starting; echo giving up >&2; exit 7']);
    assert.equal(r.code, 7);
    const last = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .BerthLastExit}}', 'dead']), 'inspect').stdout) as { Reason: string; Message: string; ExitCode: number; LastLogLines: string[] };
    assert.equal(last.Reason, 'exited');
    assert.equal(last.ExitCode, 7);
    assert.match(last.Message, /exited with code 7/);
    assert.deepEqual(last.LastLogLines, ['starting', 'giving up']);
    ok(await d.docker(['run', '-d', '--name', 'killed', 'busybox', 'sleep', '300']), 'run');
    ok(await d.docker(['kill', 'killed']), 'kill');
    const killed = await until(async () => {
      const [c] = JSON.parse(ok(await d.docker(['inspect', 'killed']), 'inspect').stdout) as Array<{ BerthLastExit?: { Reason: string; Signal: string } }>;
      return c?.BerthLastExit;
    }, 'kill recorded');
    assert.equal(killed.Reason, 'killed');
    assert.equal(killed.Signal, 'SIGKILL');
  });

  test('after a simulated host reboot, containers whose policy says so are running again with their IP, ports, volumes and hosts entries', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    ok(await d.docker(['run', '-d', '--name', 'boot1', '--restart', 'always', '-p', `127.0.0.1:${port}:80`, '-v', 'bootvol:/data', '--add-host', 'db.example:10.1.2.3', 'busybox', 'sh', '-c', 'echo kept >> /data/runs; echo hello > /tmp/index.html; exec httpd -f -p 80 -h /tmp']), 'run always');
    const ipOf = async (): Promise<string> => ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'boot1']), 'ip').stdout.trim();
    const ip = await ipOf();
    assert.match(ip, /^10\./);
    const page = async (): Promise<string | undefined> => fetch(`http://127.0.0.1:${port}/index.html`).then(async (r) => (r.ok ? await r.text() : undefined), () => undefined);
    assert.equal(await until(page, 'published port answers'), 'hello\n');
    ok(await d.docker(['run', '-d', '--name', 'boot2', '--restart', 'unless-stopped', 'busybox', 'sleep', '300']), 'run unless-stopped');
    ok(await d.docker(['run', '-d', '--name', 'boot3', '--restart', 'no', 'busybox', 'sleep', '300']), 'run no');
    ok(await d.docker(['stop', '-t', '0', 'boot2']), 'stop boot2');
    const pids = [];
    for (const n of ['boot1', 'boot3']) pids.push(Number(ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', n]), 'pid').stdout.trim()));
    await d.halt('SIGKILL');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await unmountUnder(d.root);
    await rm(d.execRoot, { recursive: true, force: true });
    // A reboot also takes the bridges and Berth's nft table with it.
    if (d.net) await removeTestNetworking(d.net, d.dataRoot);
    await d.launch();
    const state = async (n: string): Promise<string> => ok(await d.docker(['inspect', '-f', '{{.State.Status}}', n]), 'inspect').stdout.trim();
    await until(async () => ((await state('boot1')) === 'running' ? true : undefined), 'boot1 running again');
    assert.equal(await state('boot2'), 'exited', 'unless-stopped that was stopped stays stopped');
    assert.equal(await state('boot3'), 'exited', 'no policy stays down');
    const hosts = ok(await d.docker(['exec', 'boot1', 'cat', '/etc/hosts']), 'hosts').stdout;
    assert.match(hosts, /10\.1\.2\.3\s+db\.example/);
    assert.equal(await ipOf(), ip, 'the same address after the reboot');
    assert.equal(ok(await d.docker(['port', 'boot1', '80']), 'port').stdout.trim(), `127.0.0.1:${port}`);
    assert.equal(await until(page, 'published port answers after the reboot'), 'hello\n');
    assert.equal(ok(await d.docker(['exec', 'boot1', 'cat', '/data/runs']), 'volume').stdout, 'kept\nkept\n');
    const why = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .BerthLastExit}}', 'boot3']), 'inspect').stdout) as { Reason: string };
    assert.equal(why.Reason, 'daemon-lost');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.RestartCount}}', 'boot1']), 'count').stdout.trim(), '0', 'a start at boot begins the count again, as docker');
  });
});
