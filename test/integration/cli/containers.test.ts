import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { mountsUnder } from '../../helpers/mounts.js';
import { ok, until } from '../../helpers/expect.js';

/** Containers through the real docker CLI against berthd, with a real OCI runtime. */
describe('containers with the docker CLI', () => {
  let d: TestDaemon;
  const made: string[] = [];
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    for (const id of made) await d.docker(['rm', '-f', id]).catch(() => undefined);
    await d?.stop();
  });

  const runD = async (args: string[]): Promise<string> => {
    const r = ok(await d.docker(['run', '-d', ...args]), `run -d ${args.join(' ')}`);
    const id = r.stdout.trim();
    made.push(id);
    return id;
  };

  test('run --rm prints the output and leaves nothing behind', async () => {
    const r = ok(await d.docker(['run', '--rm', 'busybox', 'echo', 'hi']), 'run --rm');
    assert.equal(r.stdout, 'hi\n');
    const ps = ok(await d.docker(['ps', '-aq']), 'ps');
    assert.equal(ps.stdout.trim(), '');
  });

  test('exit codes propagate, stdout and stderr stay apart', async () => {
    const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('run -i passes stdin through', async () => {
    const r = ok(await d.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' }), 'run -i');
    assert.equal(r.stdout, 'from stdin\ndone\n');
  });

  test('run -d, ps, logs -f, stop, rm', async () => {
    const id = await runD(['--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done; sleep 30']);
    assert.match(id, /^[a-f0-9]{64}$/);
    const ps = ok(await d.docker(['ps', '--format', '{{.Names}} {{.Status}} {{.Image}}']), 'ps');
    assert.match(ps.stdout, /^ticker Up .* busybox$/m);
    const logs = await until(async () => {
      const l = await d.docker(['logs', 'ticker']);
      return l.stdout.includes('tick 3') ? l : undefined;
    }, 'three ticks');
    assert.equal(logs.stdout, 'tick 1\ntick 2\ntick 3\n');
    const t0 = Date.now();
    ok(await d.docker(['stop', '-t', '1', 'ticker']), 'stop');
    assert.ok(Date.now() - t0 < 8000);
    const state = ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ticker']), 'inspect').stdout.trim();
    assert.match(state, /^exited (137|143)$/);
    const follow = ok(await d.docker(['logs', '-f', '--tail', '1', 'ticker']), 'logs -f of a stopped container');
    assert.equal(follow.stdout, 'tick 3\n');
    ok(await d.docker(['rm', 'ticker']), 'rm');
    const gone = await d.docker(['inspect', 'ticker']);
    assert.equal(gone.code, 1);
  });

  test('logs -f follows a running container until it exits', async () => {
    const id = await runD(['busybox', 'sh', '-c', 'sleep 0.5; echo a; sleep 0.5; echo b']);
    const r = ok(await d.docker(['logs', '-f', id]), 'logs -f');
    assert.equal(r.stdout, 'a\nb\n');
    const w = ok(await d.docker(['wait', id]), 'wait');
    assert.equal(w.stdout.trim(), '0');
  });

  test('exec runs in the container and returns its exit code', async () => {
    const id = await runD(['busybox', 'sleep', '60']);
    const r = ok(await d.docker(['exec', id, 'sh', '-c', 'echo $HOSTNAME; cat /proc/1/cmdline | tr "\\0" " "']), 'exec');
    assert.equal(r.stdout, `${id.slice(0, 12)}\nsleep 60 `);
    const code = await d.docker(['exec', id, 'sh', '-c', 'exit 5']);
    assert.equal(code.code, 5);
    const stdin = ok(await d.docker(['exec', '-i', id, 'cat'], { input: 'piped\n' }), 'exec -i');
    assert.equal(stdin.stdout, 'piped\n');
    const env = ok(await d.docker(['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', id, 'sh', '-c', 'echo $X $(pwd) $(id -u)']), 'exec -e -w -u');
    assert.equal(env.stdout, '1 /tmp 65534\n');
  });

  test("exec without -u/-w runs as the container's user in its working dir, as dockerd does", async () => {
    // docker-compose v1's exec goes through `docker exec`, which sends User "" and WorkingDir "".
    const id = await runD(['-u', '1000:1000', '-w', '/tmp', 'busybox', 'sleep', '60']);
    assert.equal(ok(await d.docker(['exec', id, 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd)']), 'exec').stdout, '1000:1000 /tmp\n');
    assert.equal(ok(await d.docker(['exec', '-u', '0', id, 'id', '-u']), 'exec -u 0').stdout, '0\n');
    const { Id } = await d.client.json<{ Id: string }>({ method: 'POST', path: `/containers/${id}/exec`, body: { Cmd: ['id'], User: '' } });
    const inspect = await d.client.json<{ ProcessConfig: { user: string } }>({ method: 'GET', path: `/exec/${Id}/json` });
    assert.equal(inspect.ProcessConfig.user, '1000:1000');
  });

  test('--pid container:NAME joins the running donor\'s PID namespace (compose pid: service:X), as dockerd does', async () => {
    const donor = await runD(['--name', 'piddonor', 'busybox', 'sleep', '61']);
    const joined = ok(await d.docker(['run', '--rm', '--pid', 'container:piddonor', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; readlink /proc/self/ns/pid']), 'run --pid container:');
    const donorNs = ok(await d.docker(['exec', donor, 'readlink', '/proc/self/ns/pid']), 'donor ns').stdout;
    assert.equal(joined.stdout, `sleep 61 ${donorNs}`);
    // The mode keeps the donor's ID, so a rename does not break it; a stopped donor cannot be joined.
    ok(await d.docker(['create', '--name', 'pidjoiner', '--pid', 'container:piddonor', 'busybox', 'true']), 'create joiner');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.HostConfig.PidMode}}', 'pidjoiner']), 'inspect').stdout.trim(), `container:${donor}`);
    ok(await d.docker(['stop', '-t', '0', donor]), 'stop donor');
    const start = await d.docker(['start', 'pidjoiner']);
    assert.equal(start.code, 1);
    assert.match(start.stderr, new RegExp(`failed to join PID namespace: Container ${donor} is not running`));
    const missing = await d.docker(['create', '--pid', 'container:nosuchdonor', 'busybox', 'true']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: nosuchdonor/);
    ok(await d.docker(['rm', '-f', 'pidjoiner', donor]), 'rm');
  });

  test('--ipc container:NAME joins a shareable donor\'s IPC namespace and /dev/shm (a host tmpfs, gone with the donor), as dockerd does', async () => {
    const donor = await runD(['--name', 'ipcdonor', '--ipc', 'shareable', '--shm-size', '8m', 'busybox', 'sh', '-c', 'echo from-donor > /dev/shm/x; sleep 62']);
    const shm = join(d.execRoot, 'shm', donor);
    await until(async () => ((await d.docker(['exec', donor, 'cat', '/dev/shm/x'])).stdout === 'from-donor\n' ? true : undefined), 'the donor to write /dev/shm/x');
    const joined = ok(await d.docker(['run', '--rm', '--ipc', 'container:ipcdonor', 'busybox', 'sh', '-c', 'cat /dev/shm/x; echo from-joiner > /dev/shm/y; df -k /dev/shm | tail -1; readlink /proc/self/ns/ipc']), 'run --ipc container:');
    const donorSide = ok(await d.docker(['exec', donor, 'sh', '-c', 'cat /dev/shm/y; readlink /proc/self/ns/ipc']), 'donor side').stdout.split('\n');
    const [x, df, ns] = joined.stdout.trim().split('\n');
    assert.equal(x, 'from-donor');
    assert.match(df ?? '', /^\S+\s+8192\s/, 'the donor\'s --shm-size');
    assert.deepEqual(donorSide.slice(0, 2), ['from-joiner', ns]);
    assert.ok((await mountsUnder(shm)).length > 0, 'the shareable /dev/shm is a tmpfs on the host');
    const priv = await runD(['busybox', 'sleep', '63']);
    const refused = await d.docker(['run', '--rm', '--ipc', `container:${priv}`, 'busybox', 'true']);
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /failed to join IPC namespace: container [a-f0-9]{64}: non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    ok(await d.docker(['stop', '-t', '0', donor]), 'stop donor');
    assert.deepEqual(await mountsUnder(shm), [], 'the tmpfs goes when the donor stops');
    ok(await d.docker(['rm', '-f', donor, priv]), 'rm');
    await assert.rejects(stat(shm), { code: 'ENOENT' });
  });

  test('inspect gives the PID and nsenter runs a command inside', async () => {
    const id = await runD(['--hostname', 'inside', 'busybox', 'sleep', '60']);
    const pid = ok(await d.docker(['inspect', '--format', '{{.State.Pid}}', id]), 'inspect pid').stdout.trim();
    assert.match(pid, /^[1-9]\d*$/);
    const r = ok(await run('nsenter', ['--target', pid, '--mount', '--uts', '--ipc', '--net', '--pid', 'hostname']), 'nsenter');
    assert.equal(r.stdout.trim(), 'inside');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    assert.equal(cmdline, 'sleep\u000060\u0000', 'PID 1 of the container is the user command');
  });

  test('pause, unpause, top, rename, kill, wait', async () => {
    const id = await runD(['--name', 'lifecycle', 'busybox', 'sleep', '60']);
    ok(await d.docker(['pause', 'lifecycle']), 'pause');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Status}}', id]), 'inspect').stdout.trim(), 'paused');
    ok(await d.docker(['unpause', 'lifecycle']), 'unpause');
    const top = ok(await d.docker(['top', 'lifecycle']), 'top');
    assert.match(top.stdout, /^UID\s+PID\s+PPID/);
    assert.match(top.stdout, /sleep 60/);
    ok(await d.docker(['rename', 'lifecycle', 'renamed']), 'rename');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.Name}}', id]), 'inspect').stdout.trim(), '/renamed');
    const waiter = d.docker(['wait', 'renamed']);
    // PID 1 ignores signals it has no handler for (sleep has none): KILL ends it, as in docker.
    ok(await d.docker(['kill', 'renamed']), 'kill');
    assert.equal((await waiter).stdout.trim(), '137');
  });

  test('errors like docker: unknown image, bad user, missing or non-executable command, name conflict, rm of a running container', async () => {
    const img = await d.docker(['run', '--rm', 'no-such-image']);
    assert.equal(img.code, 125);
    assert.match(img.stderr, /Unable to find image 'no-such-image:latest' locally/);
    const user = await d.docker(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.equal(user.code, 125);
    assert.match(user.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
    const missing = await d.docker(['run', '--rm', 'busybox', '/no/such/binary']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /no such file or directory|executable file not found/);
    const notExec = await d.docker(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /permission denied/);
    const entry = await d.docker(['run', '--rm', '--entrypoint', 'nosuchentry', 'busybox']);
    assert.equal(entry.code, 127);
    await runD(['--name', 'taken', 'busybox', 'sleep', '60']);
    const conflict = await d.docker(['run', '-d', '--name', 'taken', 'busybox', 'true']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, /Conflict\. The container name "\/taken" is already in use/);
    const rm = await d.docker(['rm', 'taken']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /stop the container before removing or force remove/);
    ok(await d.docker(['rm', '-f', 'taken']), 'rm -f');
    const ps = ok(await d.docker(['ps', '-a', '--filter', 'name=taken', '-q']), 'ps');
    assert.equal(ps.stdout.trim(), '');
  });

  test('rm leaves no mount, runtime state or process behind', async () => {
    const id = await runD(['busybox', 'sleep', '60']);
    const pid = ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', id]), 'inspect').stdout.trim();
    ok(await d.docker(['rm', '-f', id]), 'rm -f');
    const mounts = await mountsUnder(d.dataRoot);
    assert.deepEqual(mounts.filter((m) => m.includes(id)), []);
    await until(async () => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')) === '' ? true : undefined, 'the container process to go');
    const runtimeDirs = await run('sh', ['-c', `ls ${d.execRoot}/runtime/*/ 2>/dev/null | grep ${id} || true`]);
    assert.equal(runtimeDirs.stdout.trim(), '');
    // No cgroup directory either: not in any hierarchy, and on a hybrid host not in the tmpfs
    // under the cgroup2 mount point, where crun (run without that mount) could leave one that
    // only a namespace without the mount can see.
    const cgroupDirs = await run('unshare', ['-m', 'sh', '-c', `umount -l /sys/fs/cgroup/unified 2>/dev/null; find /sys/fs/cgroup -maxdepth 4 -name '${id}*'`]);
    assert.equal(cgroupDirs.code, 0, cgroupDirs.stderr);
    assert.equal(cgroupDirs.stdout.trim(), '');
  });

  test('containers survive kill -9 of berthd and a new berthd finds them', async () => {
    const keeps = await runD(['busybox', 'sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done']);
    const ends = await runD(['busybox', 'sh', '-c', 'sleep 1; exit 7']);
    const pid = ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', keeps]), 'inspect').stdout.trim();
    await d.halt('SIGKILL');
    await sleep(2000);
    assert.ok((await readFile(`/proc/${pid}/stat`, 'utf8')).length > 0, 'the container runs while the daemon is down');
    await d.launch();
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Running}}', keeps]), 'inspect').stdout.trim(), 'true');
    const exited = ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', ends]), 'inspect').stdout.trim();
    assert.equal(exited, 'exited 7');
    const logs = ok(await d.docker(['logs', keeps]), 'logs').stdout.split('\n').filter(Boolean);
    assert.ok(logs.length >= 8, `output written while the daemon was down is kept (${logs.length} lines)`);
    ok(await d.docker(['stop', '-t', '1', keeps]), 'stop after restart');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Running}}', keeps]), 'inspect').stdout.trim(), 'false');
  });
});
