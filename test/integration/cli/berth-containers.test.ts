import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

/** The container workflows of containers.test.ts, through the berth CLI instead of docker's. */
describe('containers with the berth CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(() => removeContainersAndStop(d));

  const runD = async (args: string[]): Promise<string> => {
    const id = ok(await d.berth(['run', '-d', ...args]), `run -d ${args.join(' ')}`).stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    return id;
  };
  const inspect = async (format: string, name: string): Promise<string> => ok(await d.berth(['inspect', '-f', format, name]), `inspect ${name}`).stdout.trim();

  test('run --rm prints the output and leaves nothing behind', async () => {
    const r = ok(await d.berth(['run', '--rm', 'busybox', 'echo', 'hi']), 'run --rm');
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, '');
    assert.equal(ok(await d.berth(['ps', '-aq']), 'ps').stdout, '');
  });

  test('the exit code propagates, stdout and stderr stay apart', async () => {
    const r = await d.berth(['run', '--name', 'exit3', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(await inspect('{{.State.Status}} {{.State.ExitCode}}', 'exit3'), 'exited 3');
  });

  test('run -i passes stdin through and closes it at its end', async () => {
    const r = ok(await d.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' }), 'run -i');
    assert.equal(r.stdout, 'from stdin\ndone\n');
  });

  test('run -d, ps (table, format, -a, -q, filters), logs -f, stop, rm', async () => {
    const id = await runD(['--name', 'ticker', '--label', 'tier=web', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done; sleep 30']);
    const table = ok(await d.berth(['ps']), 'ps').stdout.split('\n');
    assert.match(table[0] ?? '', /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    assert.match(table[1] ?? '', new RegExp(`^${id.slice(0, 12)} +busybox +"sh -c for i in 1 2 …" +.+ ago +Up .+ +ticker$`));
    assert.equal(table.length, 3, 'one row and the final newline: exited containers are not listed without -a');
    // The same template must render the same table in both CLIs.
    const fmt = ['ps', '-a', '--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Names}}\t{{.Labels}}'];
    assert.equal(ok(await d.berth(fmt), 'berth ps --format').stdout, ok(await d.docker(fmt), 'docker ps --format').stdout);
    assert.match(ok(await d.berth(['ps', '--format', '{{.Names}} {{.Status}} {{.Image}}']), 'ps').stdout, /^ticker Up .* busybox\n$/);
    const exit3 = await inspect('{{.Id}}', 'exit3');
    const all = ok(await d.berth(['ps', '-a', '--no-trunc', '-q']), 'ps -a').stdout;
    assert.equal(all, `${id}\n${exit3}\n`);
    assert.equal(ok(await d.berth(['ps', '-q']), 'ps -q').stdout, `${id.slice(0, 12)}\n`);
    assert.equal(ok(await d.berth(['ps', '-q', '--filter', 'status=exited']), 'ps status').stdout, `${exit3.slice(0, 12)}\n`);
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'name=tick']), 'ps name').stdout, `${id.slice(0, 12)}\n`);
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'label=tier=web']), 'ps label').stdout, `${id.slice(0, 12)}\n`);
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'ancestor=busybox']), 'ps ancestor').stdout, `${id.slice(0, 12)}\n${exit3.slice(0, 12)}\n`);
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'ancestor=no-such-image']), 'ps ancestor').stdout, '');

    const logs = await until(async () => {
      const l = await d.berth(['logs', 'ticker']);
      return l.stdout.includes('tick 3') ? l : undefined;
    }, 'three ticks');
    assert.equal(logs.stdout, 'tick 1\ntick 2\ntick 3\n');
    // logs -f of a running container ends when the container does.
    const follow = d.berth(['logs', '-f', 'ticker']);
    await sleep(300);
    const t0 = Date.now();
    assert.equal(ok(await d.berth(['stop', '-t', '1', 'ticker']), 'stop').stdout, 'ticker\n');
    assert.ok(Date.now() - t0 < 8000);
    assert.equal(ok(await follow, 'logs -f').stdout, 'tick 1\ntick 2\ntick 3\n');
    assert.match(await inspect('{{.State.Status}} {{.State.ExitCode}}', 'ticker'), /^exited (137|143)$/);
    assert.equal(ok(await d.berth(['logs', '-f', '--tail', '1', 'ticker']), 'logs -f --tail').stdout, 'tick 3\n');
    assert.equal(ok(await d.berth(['rm', 'ticker']), 'rm').stdout, 'ticker\n');
    // Removed, its kept record answers (berth's own), saying so; a name never used is docker's error.
    const kept = ok(await d.berth(['container', 'inspect', '-f', '{{.Name}} {{.Reason}}', 'ticker']), 'inspect of the removed');
    assert.equal(kept.stdout, '/ticker stopped\n');
    assert.match(kept.stderr, /^berth: container ticker \([0-9a-f]{12}\) was removed .* ago \(.*Z\); showing its kept record\n$/);
    const gone = await d.berth(['container', 'inspect', 'nosuch']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stdout, '[]\n');
    assert.equal(gone.stderr, 'Error response from daemon: No such container: nosuch\n');
  });

  test('exec: exit code, -i, -e -w -u, streams apart', async () => {
    const id = await runD(['--name', 'execs', 'busybox', 'sleep', '60']);
    const r = ok(await d.berth(['exec', 'execs', 'sh', '-c', 'echo $HOSTNAME; echo oops >&2']), 'exec');
    assert.equal(r.stdout, `${id.slice(0, 12)}\n`);
    assert.equal(r.stderr, 'oops\n');
    assert.equal((await d.berth(['exec', 'execs', 'sh', '-c', 'exit 5'])).code, 5);
    // A process that is gone before the daemon joins its output must still end the stream.
    for (let i = 0; i < 5; i++) {
      assert.equal(ok(await d.berth(['exec', 'execs', 'true']), 'exec true').stdout, '');
      assert.equal(ok(await d.docker(['exec', 'execs', 'true']), 'docker exec true').stdout, '');
    }
    // The exec start body must not leak into the process's stdin.
    assert.equal(ok(await d.berth(['exec', '-i', 'execs', 'cat'], { input: 'piped\n' }), 'exec -i').stdout, 'piped\n');
    const env = ok(await d.berth(['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', 'execs', 'sh', '-c', 'echo $X $(pwd) $(id -u)']), 'exec -e -w -u');
    assert.equal(env.stdout, '1 /tmp 65534\n');
    // As in docker, a process that cannot start is reported in its output stream, with 126/127.
    const missing = await d.berth(['exec', 'execs', '/no/such/binary']);
    assert.equal(missing.code, 127);
    assert.match(missing.stdout, /^OCI runtime exec failed: .*no such file or directory\r\n$/);
    assert.equal((await d.berth(['exec', 'execs', '/etc/passwd'])).code, 126);
    const notRunning = await d.berth(['exec', 'exit3', 'true']);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /is not running/);
  });

  test('inspect --format gives the PID of the container process', async () => {
    const id = await runD(['busybox', 'sleep', '61']);
    const pid = ok(await d.berth(['inspect', '--format', '{{.State.Pid}}', id]), 'inspect').stdout.trim();
    assert.match(pid, /^[1-9]\d*$/);
    assert.equal(await readFile(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\u000061\u0000');
    assert.equal(ok(await d.berth(['container', 'inspect', '-f', '{{.State.Pid}}', id]), 'container inspect').stdout.trim(), pid);
  });

  test('pause, unpause, top, rename, kill, wait', async () => {
    const id = await runD(['--name', 'lifecycle', 'busybox', 'sleep', '60']);
    assert.equal(ok(await d.berth(['pause', 'lifecycle']), 'pause').stdout, 'lifecycle\n');
    assert.equal(await inspect('{{.State.Status}}', id), 'paused');
    assert.equal(ok(await d.berth(['unpause', 'lifecycle']), 'unpause').stdout, 'lifecycle\n');
    assert.equal(await inspect('{{.State.Status}}', id), 'running');
    const top = ok(await d.berth(['top', 'lifecycle']), 'top');
    assert.match(top.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
    assert.match(top.stdout, /sleep 60\n$/);
    ok(await d.berth(['rename', 'lifecycle', 'renamed']), 'rename');
    assert.equal(await inspect('{{.Name}}', id), '/renamed');
    const waiter = d.berth(['wait', 'renamed']);
    await sleep(200);
    assert.equal(ok(await d.berth(['kill', 'renamed']), 'kill').stdout, 'renamed\n');
    const w = ok(await waiter, 'wait');
    assert.equal(w.stdout, '137\n');
    assert.equal(ok(await d.berth(['wait', 'exit3']), 'wait of an exited container').stdout, '3\n');
  });

  test('restart gives a new process and keeps the container', async () => {
    const id = await runD(['--name', 'again', 'busybox', 'sleep', '60']);
    const before = await inspect('{{.State.Pid}}', id);
    assert.equal(ok(await d.berth(['restart', '-t', '1', 'again']), 'restart').stdout, 'again\n');
    const [pid, status] = (await inspect('{{.State.Pid}} {{.State.Status}}', id)).split(' ');
    assert.equal(status, 'running');
    assert.notEqual(pid, before);
    // A stopped container is started by restart.
    ok(await d.berth(['stop', '-t', '0', 'again']), 'stop');
    ok(await d.berth(['restart', 'again']), 'restart of a stopped container');
    assert.equal(await inspect('{{.State.Running}}', id), 'true');
    ok(await d.berth(['rm', '-f', 'again']), 'rm -f');
  });

  test('ps -s and inspect -s report what the container wrote', async () => {
    await runD(['--name', 'writer', 'busybox', 'sh', '-c', 'head -c 102400 /dev/zero > /blob; ln /blob /blob2; sleep 60']);
    const sizes = await until(async () => {
      const v = (await d.berth(['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'writer'])).stdout.trim();
      return v.startsWith('102400 ') ? v : undefined;
    }, 'the file to be written');
    const imageSize = Number(ok(await d.berth(['image', 'inspect', '-f', '{{.Size}}', 'busybox']), 'image inspect').stdout);
    assert.equal(sizes, `102400 ${102400 + imageSize}`, 'a hardlinked file counts once');
    const fmt = ['ps', '-s', '--filter', 'name=writer', '--format', '{{.Names}} {{.Size}}'];
    assert.match(ok(await d.berth(fmt), 'ps -s').stdout, /^writer 102kB \(virtual \S+MB\)\n$/);
    assert.equal(ok(await d.berth(fmt), 'berth ps -s').stdout, ok(await d.docker(fmt), 'docker ps -s').stdout);
    ok(await d.berth(['rm', '-f', 'writer']), 'rm -f');
  });

  test('container prune -f removes stopped containers only', async () => {
    const running = await runD(['busybox', 'sleep', '60']);
    const stopped = ok(await d.berth(['create', 'busybox', 'true']), 'create').stdout.trim();
    const exit3 = await inspect('{{.Id}}', 'exit3');
    const r = ok(await d.berth(['container', 'prune', '-f']), 'prune');
    const deleted = r.stdout.split('\n').slice(1).filter((l) => /^[a-f0-9]{64}$/.test(l)).sort();
    assert.ok(r.stdout.startsWith('Deleted Containers:\n'), r.stdout);
    // exit3 wrote nothing; the created container neither: docker counts what they wrote.
    assert.match(r.stdout, /\nTotal reclaimed space: 0B\n$/);
    for (const gone of [stopped, exit3]) assert.ok(deleted.includes(gone), `${gone} pruned`);
    assert.ok(!deleted.includes(running));
    assert.equal(await inspect('{{.State.Running}}', running), 'true');
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'status=exited']), 'ps').stdout, '');
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'status=created']), 'ps').stdout, '');
  });

  test("errors with docker's exit codes and messages", async () => {
    const img = await d.berth(['run', '--rm', 'no-such-image']);
    assert.equal(img.code, 125);
    assert.match(img.stderr, /Unable to find image 'no-such-image:latest' locally/);
    const user = await d.berth(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.equal(user.code, 125);
    assert.match(user.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
    const missing = await d.berth(['run', '--rm', 'busybox', '/no/such/binary']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /no such file or directory/);
    const notExec = await d.berth(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /permission denied/);
    const entry = await d.berth(['run', '--rm', '--entrypoint', 'nosuchentry', 'busybox']);
    assert.equal(entry.code, 127);
    assert.match(entry.stderr, /executable file not found/);
    // --rm removed every container that failed to start.
    assert.equal(ok(await d.berth(['ps', '-aq', '--filter', 'status=created']), 'ps').stdout, '');

    const taken = await runD(['--name', 'taken', 'busybox', 'sleep', '60']);
    const conflict = await d.berth(['run', '-d', '--name', 'taken', 'busybox', 'true']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, new RegExp(`Conflict\\. The container name "/taken" is already in use by container "${taken}"`));
    const rm = await d.berth(['rm', 'taken']);
    assert.equal(rm.code, 1);
    assert.equal(rm.stderr, 'Error response from daemon: cannot remove container "taken": container is running: stop the container before removing or force remove\n');
    assert.equal(ok(await d.berth(['rm', '-f', 'taken']), 'rm -f').stdout, 'taken\n');
    assert.equal(ok(await d.berth(['ps', '-a', '--filter', 'name=taken', '-q']), 'ps').stdout, '');

    for (const args of [['stop', 'nosuch'], ['kill', 'nosuch'], ['wait', 'nosuch'], ['logs', 'nosuch'], ['attach', 'nosuch'], ['exec', 'nosuch', 'true']]) {
      const r = await d.berth(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, 'Error response from daemon: No such container: nosuch\n', args.join(' '));
    }
  });

  test('inspect NAME: containers first, then images; --type picks one', async () => {
    ok(await d.berth(['tag', 'busybox', 'shadow:latest']), 'tag');
    const imageId = ok(await d.berth(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'image inspect').stdout.trim();
    assert.equal(await inspect('{{.Id}}', 'shadow'), imageId, 'only an image has the name');
    const id = await runD(['--name', 'shadow', 'busybox', 'sleep', '60']);
    assert.equal(await inspect('{{.Id}} {{.State.Status}}', 'shadow'), `${id} running`, 'a container wins over an image');
    assert.equal(ok(await d.berth(['inspect', '--type', 'image', '-f', '{{.Id}}', 'shadow']), 'inspect --type image').stdout.trim(), imageId);
    assert.equal(ok(await d.berth(['inspect', '--type', 'container', '-f', '{{.Name}}', 'shadow']), 'inspect --type container').stdout, '/shadow\n');
    const both = ok(await d.berth(['inspect', id, 'busybox']), 'inspect both');
    const objects = JSON.parse(both.stdout) as Array<{ Id: string; State?: unknown }>;
    assert.deepEqual(objects.map((o) => [o.Id, o.State !== undefined]), [[id, true], [imageId, false]]);

    const none = await d.berth(['inspect', 'nosuch']);
    assert.deepEqual([none.code, none.stdout, none.stderr], [1, '[]\n', 'Error: No such object: nosuch\n']);
    const partial = await d.berth(['inspect', '-f', '{{.Name}}', 'shadow', 'nosuch']);
    assert.deepEqual([partial.code, partial.stdout, partial.stderr], [1, '/shadow\n', 'Error: No such object: nosuch\n']);
    const typed = await d.berth(['inspect', '--type', 'container', 'nosuch']);
    assert.deepEqual([typed.code, typed.stderr], [1, 'Error response from daemon: No such container: nosuch\n']);
    const typedImage = await d.berth(['inspect', '--type', 'image', 'nosuch']);
    assert.deepEqual([typedImage.code, typedImage.stderr], [1, 'Error response from daemon: No such image: nosuch:latest\n']);
    const bad = await d.berth(['inspect', '--type', 'bogus', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^unknown type: "bogus"/);
    // The size flag reaches the daemon for containers.
    assert.match(ok(await d.berth(['inspect', '-s', '-f', '{{.SizeRw}}', 'shadow']), 'inspect -s').stdout, /^\d+\n$/);
  });
});
