import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { compatArea, fails, lines, ok, uniq } from './compat.js';

/** The container lifecycle: run, create/start, stop/kill/restart, rm, wait, rename, pause, top. */
compatArea('containers', (t) => {
  const runD = async (args: string[]): Promise<string> => ok(await t().docker(['run', '-d', ...args]), `run -d ${args.join(' ')}`).stdout.trim();
  const state = async (name: string, fmt = '{{.State.Status}}'): Promise<string> => ok(await t().docker(['inspect', '-f', fmt, name]), 'inspect').stdout.trim();

  test('run prints the command\'s output', async () => {
    const r = ok(await t().docker(['run', '--rm', 'busybox', 'echo', 'hello', 'world']), 'run');
    assert.equal(r.stdout, 'hello world\n');
  });

  test('run returns the command\'s exit code', async () => {
    const r = await t().docker(['run', '--rm', 'busybox', 'sh', '-c', 'exit 42']);
    assert.equal(r.code, 42);
  });

  test('run keeps stdout and stderr apart', async () => {
    const r = await t().docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('run -i passes stdin', async () => {
    const r = ok(await t().docker(['run', '--rm', '-i', 'busybox', 'wc', '-l'], { input: 'a\nb\nc\n' }), 'run -i');
    assert.equal(r.stdout.trim(), '3');
  });

  test('run without -i gives the container an empty stdin', async () => {
    const r = ok(await t().docker(['run', '--rm', 'busybox', 'cat'], { input: 'ignored\n' }), 'run');
    assert.equal(r.stdout, '');
  });

  test('run of the image\'s default command (sh) with stdin script', async () => {
    const r = ok(await t().docker(['run', '--rm', '-i', 'busybox'], { input: 'echo from-default-cmd\n' }), 'run');
    assert.equal(r.stdout, 'from-default-cmd\n');
  });

  test('run --rm leaves no container behind', async () => {
    const name = uniq('rm');
    ok(await t().docker(['run', '--rm', '--name', name, 'busybox', 'true']), 'run');
    const r = ok(await t().docker(['ps', '-a', '--filter', `name=${name}`, '-q']), 'ps');
    assert.equal(r.stdout, '');
  });

  // Through the API: the docker CLI passes -e through a Go map (for config.json's proxies), so the
  // order it sends is not the order given on its command line.
  test('create puts the request\'s env first as sent, then the image\'s it does not set', async () => {
    const name = uniq('envorder');
    await new Docker({ socketPath: t().socket }).createContainer({ name, Image: 'busybox', Cmd: ['true'], Env: ['B=2', 'A=1'] });
    try {
      const env = JSON.parse(ok(await t().docker(['inspect', '-f', '{{json .Config.Env}}', name]), 'inspect').stdout) as string[];
      assert.deepEqual(env, ['B=2', 'A=1', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    } finally {
      await t().docker(['rm', '-f', name]);
    }
  });

  test('run -d prints the 64-hex id', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    assert.match(id, /^[0-9a-f]{64}$/);
  });

  test('run of a command not in PATH exits 127', async () => {
    const r = await t().docker(['run', '--rm', 'busybox', 'nosuchcommand']);
    fails(r, 127, /executable file not found in \$PATH/);
  });

  test('run of a file that is not executable exits 126', async () => {
    const r = await t().docker(['run', '--rm', 'busybox', '/etc/passwd']);
    fails(r, 126, /permission denied/);
  });

  test('run of a missing image exits 125 after trying to pull it', async () => {
    const r = await t().docker(['run', '--rm', 'nosuchimage-compat:v0']);
    fails(r, 125, /Unable to find image 'nosuchimage-compat:v0' locally/);
  });

  test('run with an unknown flag exits 125', async () => {
    fails(await t().docker(['run', '--no-such-flag', 'busybox']), 125, /unknown flag: --no-such-flag/);
  });

  test('run --name twice is a name conflict', async () => {
    const name = uniq('dup');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    fails(await t().docker(['run', '--name', name, 'busybox', 'true']), 125, new RegExp(`Conflict\\. The container name "/${name}" is already in use by container "[0-9a-f]{64}"`));
  });

  test('run --name with an invalid name is refused', async () => {
    fails(await t().docker(['run', '--name', 'bad/name', 'busybox', 'true']), 125, /Invalid container name \(bad\/name\)/);
  });

  test('run -e sets and overrides environment', async () => {
    const r = ok(await t().docker(['run', '--rm', '-e', 'FOO=bar', '-e', 'PATH=/bin', 'busybox', 'sh', '-c', 'echo $FOO $PATH']), 'run');
    assert.equal(r.stdout, 'bar /bin\n');
  });

  test('run --env-file reads KEY=VALUE lines', async () => {
    const file = join(t().scratch, 'env.list');
    await writeFile(file, '# comment\nA=1\nB=two words\n');
    const r = ok(await t().docker(['run', '--rm', '--env-file', file, 'busybox', 'sh', '-c', 'echo "$A|$B"']), 'run');
    assert.equal(r.stdout, '1|two words\n');
  });

  test('run -w sets the working directory, creating it', async () => {
    const r = ok(await t().docker(['run', '--rm', '-w', '/made/by/workdir', 'busybox', 'pwd']), 'run');
    assert.equal(r.stdout, '/made/by/workdir\n');
  });

  test('run -u sets uid:gid', async () => {
    const r = ok(await t().docker(['run', '--rm', '-u', '1234:5678', 'busybox', 'id']), 'run');
    assert.match(r.stdout, /^uid=1234 gid=5678/);
  });

  test('run -u with a user name from /etc/passwd', async () => {
    const r = ok(await t().docker(['run', '--rm', '-u', 'nobody', 'busybox', 'id', '-u']), 'run');
    assert.equal(r.stdout.trim(), '65534');
  });

  test('run -u with an unknown user name fails', async () => {
    const r = await t().docker(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.ok(r.code === 125 || r.code === 126 || r.code === 127, `exit ${r.code}`);
    assert.match(r.stderr, /unable to find user nosuchuser/);
  });

  test('run --hostname sets the UTS hostname', async () => {
    const r = ok(await t().docker(['run', '--rm', '--hostname', 'compat-host', 'busybox', 'hostname']), 'run');
    assert.equal(r.stdout, 'compat-host\n');
  });

  test('the default hostname is the short container id', async () => {
    const name = uniq('host');
    ok(await t().docker(['run', '--name', name, 'busybox', 'hostname']), 'run');
    const id = await state(name, '{{.Id}}');
    const logs = ok(await t().docker(['logs', name]), 'logs');
    assert.equal(logs.stdout.trim(), id.slice(0, 12));
  });

  test('run --entrypoint replaces the image\'s entrypoint and command', async () => {
    const r = ok(await t().docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']), 'run');
    assert.equal(r.stdout, 'via entrypoint\n');
  });

  test('run --read-only makes / read-only', async () => {
    const r = await t().docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Read-only file system/);
  });

  test('run --init runs the command under an init as PID 1', async () => {
    const r = ok(await t().docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'echo $$; cat /proc/1/comm']), 'run');
    const [pid, comm] = lines(r);
    assert.notEqual(pid, '1');
    assert.match(comm ?? '', /init/);
  });

  test('without --init the command is PID 1', async () => {
    const r = ok(await t().docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$']), 'run');
    assert.equal(r.stdout, '1\n');
  });

  test('run --label shows in inspect', async () => {
    const name = uniq('label');
    ok(await t().docker(['create', '--name', name, '--label', 'tier=compat', '--label', 'empty', 'busybox', 'true']), 'create');
    assert.equal(await state(name, '{{json .Config.Labels}}'), '{"empty":"","tier":"compat"}');
  });

  test('run -t gives the process a terminal', async () => {
    const r = ok(await t().docker(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'test -t 1 && echo tty']), 'run -t');
    assert.equal(r.stdout, 'tty\r\n');
  });

  test('the container sees /etc/hostname, /etc/hosts and /etc/resolv.conf', async () => {
    const r = ok(await t().docker(['run', '--rm', 'busybox', 'sh', '-c', 'test -f /etc/hostname && test -f /etc/hosts && test -f /etc/resolv.conf && echo ok']), 'run');
    assert.equal(r.stdout, 'ok\n');
  });

  test('create prints the id and leaves the container Created', async () => {
    const name = uniq('create');
    const r = ok(await t().docker(['create', '--name', name, 'busybox', 'echo', 'hi']), 'create');
    assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
    assert.equal(await state(name), 'created');
  });

  test('start -a of a created container prints its output and exit code', async () => {
    const name = uniq('start-a');
    ok(await t().docker(['create', '--name', name, 'busybox', 'sh', '-c', 'echo started; exit 3']), 'create');
    const r = await t().docker(['start', '-a', name]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'started\n');
  });

  test('start prints the name it was given', async () => {
    const name = uniq('start');
    ok(await t().docker(['create', '--name', name, 'busybox', 'sleep', '30']), 'create');
    const r = ok(await t().docker(['start', name]), 'start');
    assert.equal(r.stdout, `${name}\n`);
    assert.equal(await state(name), 'running');
  });

  test('start of a missing container fails naming it', async () => {
    const r = await t().docker(['start', 'nosuchcontainer']);
    fails(r, 1, /No such container: nosuchcontainer/);
    assert.match(r.stderr, /failed to start containers: nosuchcontainer/);
  });

  test('start of a running container is a no-op success', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    ok(await t().docker(['start', id]), 'start again');
    assert.equal(await state(id), 'running');
  });

  test('stop -t 1 of a process ignoring SIGTERM kills it (137)', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    const r = ok(await t().docker(['stop', '-t', '1', id]), 'stop');
    assert.equal(r.stdout, `${id}\n`);
    assert.equal(await state(id, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  });

  test('stop of a shell that exits on SIGTERM', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
    await sleep(300);
    ok(await t().docker(['stop', id]), 'stop');
    assert.equal(await state(id, '{{.State.ExitCode}}'), '7');
  });

  test('stop of a stopped container succeeds', async () => {
    const name = uniq('stopped');
    ok(await t().docker(['run', '--name', name, 'busybox', 'true']), 'run');
    ok(await t().docker(['stop', name]), 'stop');
  });

  test('stop of a missing container fails', async () => {
    fails(await t().docker(['stop', 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });

  test('kill sends SIGKILL by default (exit 137)', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    ok(await t().docker(['kill', id]), 'kill');
    ok(await t().docker(['wait', id]), 'wait');
    assert.equal(await state(id, '{{.State.ExitCode}}'), '137');
  });

  test('kill -s USR1 reaches a trap', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.1; done']);
    await sleep(300);
    ok(await t().docker(['kill', '-s', 'USR1', id]), 'kill -s');
    const w = ok(await t().docker(['wait', id]), 'wait');
    assert.equal(w.stdout, '0\n');
    assert.equal(ok(await t().docker(['logs', id]), 'logs').stdout, 'got-usr1\n');
  });

  test('kill of a stopped container is an error', async () => {
    const name = uniq('kill-stopped');
    ok(await t().docker(['run', '--name', name, 'busybox', 'true']), 'run');
    fails(await t().docker(['kill', name]), 1, /is not running/);
  });

  test('kill with an invalid signal is refused', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    fails(await t().docker(['kill', '-s', 'NOSUCHSIG', id]), 1, /Invalid signal: NOSUCHSIG|invalid signal/i);
  });

  test('restart starts a new process', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'echo run; sleep 30']);
    const pid1 = await state(id, '{{.State.Pid}}');
    ok(await t().docker(['restart', '-t', '0', id]), 'restart');
    const pid2 = await state(id, '{{.State.Pid}}');
    assert.notEqual(pid1, pid2);
    assert.equal(await state(id), 'running');
  });

  test('restart of an exited container starts it', async () => {
    const name = uniq('restart-exited');
    ok(await t().docker(['run', '-d', '--name', name, 'busybox', 'sleep', '30']), 'run');
    ok(await t().docker(['kill', name]), 'kill');
    ok(await t().docker(['restart', name]), 'restart');
    assert.equal(await state(name), 'running');
  });

  test('wait prints the exit code', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'sleep 0.3; exit 5']);
    const r = ok(await t().docker(['wait', id]), 'wait');
    assert.equal(r.stdout, '5\n');
  });

  test('wait of a missing container fails', async () => {
    fails(await t().docker(['wait', 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });

  test('rm of a running container needs -f', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    fails(await t().docker(['rm', id]), 1, /container is running|cannot remove a running container/i);
    const r = ok(await t().docker(['rm', '-f', id]), 'rm -f');
    assert.equal(r.stdout, `${id}\n`);
  });

  test('rm of a missing container fails', async () => {
    fails(await t().docker(['rm', 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });

  test('rm -f of a missing container succeeds silently', async () => {
    const r = await t().docker(['rm', '-f', 'nosuchcontainer']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('rm of several containers removes those it can and fails for the rest', async () => {
    const name = uniq('rm-many');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    const r = await t().docker(['rm', name, 'nosuchcontainer']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${name}\n`);
    assert.match(r.stderr, /No such container: nosuchcontainer/);
  });

  test('rename changes the name', async () => {
    const a = uniq('old');
    const b = uniq('new');
    ok(await t().docker(['create', '--name', a, 'busybox', 'true']), 'create');
    ok(await t().docker(['rename', a, b]), 'rename');
    assert.equal(await state(b, '{{.Name}}'), `/${b}`);
    fails(await t().docker(['inspect', a]), 1, /No such object: /);
  });

  test('rename to a name in use is a conflict', async () => {
    const a = uniq('ren-a');
    const b = uniq('ren-b');
    ok(await t().docker(['create', '--name', a, 'busybox', 'true']), 'create');
    ok(await t().docker(['create', '--name', b, 'busybox', 'true']), 'create');
    fails(await t().docker(['rename', a, b]), 1, /Conflict\. The container name .* is already in use/);
  });

  test('pause and unpause show in State', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    ok(await t().docker(['pause', id]), 'pause');
    assert.equal(await state(id, '{{.State.Status}} {{.State.Paused}}'), 'paused true');
    const ps = ok(await t().docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), 'ps');
    assert.match(ps.stdout, /\(Paused\)/);
    ok(await t().docker(['unpause', id]), 'unpause');
    assert.equal(await state(id, '{{.State.Status}} {{.State.Paused}}'), 'running false');
  });

  test('pause of a stopped container fails', async () => {
    const name = uniq('pause-stopped');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    fails(await t().docker(['pause', name]), 1, /is not running/);
  });

  test('unpause of a running container fails', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    fails(await t().docker(['unpause', id]), 1, /is not paused/);
  });

  test('top lists the container\'s processes', async () => {
    const id = await runD(['busybox', 'sleep', '31']);
    const r = ok(await t().docker(['top', id]), 'top');
    assert.match(lines(r)[0] ?? '', /UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    assert.match(r.stdout, /sleep 31/);
  });

  test('top with ps options', async () => {
    const id = await runD(['busybox', 'sleep', '32']);
    const r = ok(await t().docker(['top', id, '-o', 'pid,comm']), 'top');
    assert.match(lines(r)[0] ?? '', /PID\s+COMMAND/);
    assert.match(r.stdout, /sleep/);
  });

  test('top of a stopped container fails', async () => {
    const name = uniq('top-stopped');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    fails(await t().docker(['top', name]), 1, /is not running/);
  });

  test('container prune -f removes stopped containers only', async () => {
    const stopped = uniq('prune-me');
    ok(await t().docker(['run', '--name', stopped, 'busybox', 'true']), 'run');
    const running = await runD(['busybox', 'sleep', '30']);
    const r = ok(await t().docker(['container', 'prune', '-f']), 'prune');
    assert.match(r.stdout, /^Deleted Containers:$/m);
    assert.match(r.stdout, /Total reclaimed space:/);
    fails(await t().docker(['inspect', stopped]), 1, /No such object/);
    assert.equal(await state(running), 'running');
  });

  test('container ls is ps', async () => {
    const id = await runD(['busybox', 'sleep', '30']);
    const r = ok(await t().docker(['container', 'ls', '-q', '--no-trunc']), 'container ls');
    assert.ok(lines(r).includes(id));
  });
});
