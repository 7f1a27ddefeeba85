import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compatArea, fails, lines, ok, ON_DOCKER_20, uniq } from './compat.js';

/** exec, logs, attach and stats on running containers. */
compatArea('exec, logs, attach, stats', (t) => {
  const box = uniq('box');
  before(async () => {
    ok(await t().docker(['run', '-d', '--name', box, '-e', 'FROM_RUN=yes', 'busybox', 'sleep', '300']), 'run');
  });
  const runD = async (args: string[]): Promise<string> => ok(await t().docker(['run', '-d', ...args]), 'run -d').stdout.trim();

  test('exec prints the command\'s output', async () => {
    const r = ok(await t().docker(['exec', box, 'echo', 'in', 'box']), 'exec');
    assert.equal(r.stdout, 'in box\n');
  });

  test('exec returns the exit code', async () => {
    assert.equal((await t().docker(['exec', box, 'sh', '-c', 'exit 9'])).code, 9);
  });

  test('exec keeps stdout and stderr apart', async () => {
    const r = await t().docker(['exec', box, 'sh', '-c', 'echo o; echo e >&2']);
    assert.equal(r.stdout, 'o\n');
    assert.equal(r.stderr, 'e\n');
  });

  test('exec sees the container\'s environment and -e adds to it', async () => {
    const r = ok(await t().docker(['exec', '-e', 'EXTRA=1', box, 'sh', '-c', 'echo $FROM_RUN $EXTRA']), 'exec');
    assert.equal(r.stdout, 'yes 1\n');
  });

  test('exec -w runs in a directory', async () => {
    assert.equal(ok(await t().docker(['exec', '-w', '/etc', box, 'pwd']), 'exec').stdout, '/etc\n');
  });

  test('exec -u runs as a user', async () => {
    assert.equal(ok(await t().docker(['exec', '-u', '99', box, 'id', '-u']), 'exec').stdout, '99\n');
  });

  test('exec -i passes stdin', async () => {
    const r = ok(await t().docker(['exec', '-i', box, 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' }), 'exec -i');
    assert.equal(r.stdout, 'SHOUT\n');
  });

  test('exec -t allocates a terminal', async () => {
    const r = ok(await t().docker(['exec', '-t', box, 'sh', '-c', 'test -t 0 && echo tty']), 'exec -t');
    assert.equal(r.stdout, 'tty\r\n');
  });

  test('exec -d returns at once and the process runs', async () => {
    ok(await t().docker(['exec', '-d', box, 'sh', '-c', 'echo detached > /tmp/detached']), 'exec -d');
    let seen = '';
    for (let i = 0; i < 50 && seen === ''; i++) {
      seen = (await t().docker(['exec', box, 'cat', '/tmp/detached'])).stdout;
      if (seen === '') await sleep(100);
    }
    assert.equal(seen, 'detached\n');
  });

  test('exec of a missing command exits 127 with the runtime\'s message on stdout', async () => {
    const r = await t().docker(['exec', box, 'nosuchcommand']);
    // The daemon writes an exec start failure into the attached stream (moby daemon/exec.go).
    assert.match(r.stdout, /^OCI runtime exec failed: exec failed: .*exec: "nosuchcommand": executable file not found in \$PATH/);
    // dockerd 20.10 exits 126 here; Docker 23+ (and Berth) 127.
    assert.ok(r.code === 127 || (ON_DOCKER_20 && r.code === 126), `exit ${r.code}`);
  });

  test('exec -w of a missing directory fails with 126 or 127', async () => {
    const r = await t().docker(['exec', '-w', '/no/such/dir', box, 'pwd']);
    assert.ok(r.code === 126 || r.code === 127, `exit ${r.code}: ${r.stderr}`);
  });

  test('exec in a stopped container fails', async () => {
    const name = uniq('exec-stopped');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    fails(await t().docker(['exec', name, 'true']), 1, /is not running/);
  });

  test('exec in a paused container fails', async () => {
    const id = await runD(['busybox', 'sleep', '60']);
    ok(await t().docker(['pause', id]), 'pause');
    fails(await t().docker(['exec', id, 'true']), 1, /is paused, unpause the container before exec/);
    ok(await t().docker(['unpause', id]), 'unpause');
  });

  test('exec in a missing container fails', async () => {
    fails(await t().docker(['exec', 'nosuchcontainer', 'true']), 1, /No such container: nosuchcontainer/);
  });

  test('exec processes show in top', async () => {
    ok(await t().docker(['exec', '-d', box, 'sleep', '77']), 'exec -d');
    await sleep(300);
    assert.match(ok(await t().docker(['top', box]), 'top').stdout, /sleep 77/);
  });

  const logged = async (script: string): Promise<string> => {
    const name = uniq('logs');
    await t().docker(['run', '--name', name, 'busybox', 'sh', '-c', script]);
    return name;
  };

  test('logs prints what the container wrote', async () => {
    const name = await logged('echo one; echo two');
    assert.equal(ok(await t().docker(['logs', name]), 'logs').stdout, 'one\ntwo\n');
  });

  test('logs keeps stderr on stderr', async () => {
    const name = await logged('echo out; echo err >&2');
    const r = ok(await t().docker(['logs', name]), 'logs');
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('logs --tail N and -n N', async () => {
    const name = await logged('for i in 1 2 3 4 5; do echo $i; done');
    assert.equal(ok(await t().docker(['logs', '--tail', '2', name]), 'logs').stdout, '4\n5\n');
    assert.equal(ok(await t().docker(['logs', '-n', '1', name]), 'logs').stdout, '5\n');
    assert.equal(ok(await t().docker(['logs', '--tail', '0', name]), 'logs').stdout, '');
  });

  test('logs -t prefixes RFC 3339 timestamps', async () => {
    const name = await logged('echo stamped');
    assert.match(ok(await t().docker(['logs', '-t', name]), 'logs').stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z stamped\n$/);
  });

  test('logs --since in the future prints nothing', async () => {
    const name = await logged('echo old');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal(ok(await t().docker(['logs', '--since', future, name]), 'logs').stdout, '');
  });

  test('logs --until in the past prints nothing', async () => {
    const name = await logged('echo new');
    assert.equal(ok(await t().docker(['logs', '--until', '2000-01-01T00:00:00Z', name]), 'logs').stdout, '');
  });

  test('logs --since a relative duration keeps recent lines', async () => {
    const name = await logged('echo recent');
    assert.equal(ok(await t().docker(['logs', '--since', '10m', name]), 'logs').stdout, 'recent\n');
  });

  test('logs -f follows until the container exits', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'echo a; sleep 0.5; echo b']);
    assert.equal(ok(await t().docker(['logs', '-f', id]), 'logs -f').stdout, 'a\nb\n');
  });

  test('logs of a -t container has the terminal\'s CRLF', async () => {
    const name = uniq('logs-tty');
    ok(await t().docker(['run', '-t', '--name', name, 'busybox', 'echo', 'tty-line']), 'run -t');
    assert.equal(ok(await t().docker(['logs', name]), 'logs').stdout, 'tty-line\r\n');
  });

  test('logs of a missing container fails', async () => {
    fails(await t().docker(['logs', 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });

  test('logs of a created container is empty', async () => {
    const name = uniq('logs-created');
    ok(await t().docker(['create', '--name', name, 'busybox', 'echo', 'never']), 'create');
    const r = ok(await t().docker(['logs', name]), 'logs');
    assert.equal(r.stdout, '');
  });

  test('attach streams output of a running container until it exits', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'sleep 1; echo attached-out; exit 4']);
    const r = await t().docker(['attach', id]);
    assert.equal(r.stdout, 'attached-out\n');
    assert.equal(r.code, 4);
  });

  test('attach to a stopped container fails', async () => {
    const name = uniq('attach-stopped');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    fails(await t().docker(['attach', name]), 1, /You cannot attach to a stopped container, start it first/);
  });

  test('start -a -i sends stdin to a created -i container', async () => {
    const name = uniq('start-ai');
    ok(await t().docker(['create', '-i', '--name', name, 'busybox', 'sh', '-c', 'read x; echo got $x']), 'create');
    const r = ok(await t().docker(['start', '-a', '-i', name], { input: 'line\n' }), 'start -ai');
    assert.equal(r.stdout, 'got line\n');
  });

  test('stats --no-stream --format prints a row for the container', async () => {
    const r = ok(await t().docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', box]), 'stats');
    assert.match(r.stdout, new RegExp(`^${box} \\d+(\\.\\d+)?[KMG]?i?B / .+\\n$`));
  });

  test('stats --no-stream has docker\'s columns', async () => {
    const r = ok(await t().docker(['stats', '--no-stream', box]), 'stats');
    assert.match(lines(r)[0] ?? '', /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  });

  test('stats --no-stream of a missing container fails', async () => {
    const r = await t().docker(['stats', '--no-stream', 'nosuchcontainer']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such container: nosuchcontainer/);
  });
});
