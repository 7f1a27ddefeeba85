import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rename } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidParameterError } from '../../../src/core/errors.js';
import {
  connectAttach,
  isMonitorAlive,
  readExit,
  sendControl,
  waitExit,
  type MonitorStarted,
} from '../../../src/drivers/monitor/monitor-client.js';
import { demux, MonitorFixture, readLog } from './monitor-fixture.js';
import { until } from '../../helpers/expect.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const T = { timeout: 30_000 };

/** Everything the socket sends until the monitor closes it. */
function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

/** Resolves once the socket's output so far contains text. */
function waitForText(socket: Socket, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer): void => {
      seen += c.toString('utf8');
      if (seen.includes(text)) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`attach closed before ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`)));
  });
}

describe('berth-monitor with runc', () => {
  let fx: MonitorFixture;
  before(async () => {
    fx = await MonitorFixture.create();
  });
  after(async () => {
    await fx.cleanup();
  });

  it('logs stdout in docker json-file format and records exit 0', T, async () => {
    const c = await fx.container(['echo', 'hi']);
    await fx.start(c);
    await fx.runc('start', c.id);
    assert.deepEqual({ ...(await waitExit(c.stateDir)), finishedAt: '' }, { exitCode: 0, signal: null, finishedAt: '' });
    const lines = (await readFile(c.logPath, 'utf8')).split('\n');
    assert.match(lines[0] ?? '', /^\{"log":"hi\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\}$/);
    assert.equal(lines.length, 2);
  });

  it('keeps stdout and stderr apart and records a non-zero exit', T, async () => {
    const c = await fx.container(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    await fx.start(c);
    await fx.runc('start', c.id);
    assert.equal((await waitExit(c.stateDir)).exitCode, 3);
    const log = await readLog(c.logPath);
    assert.deepEqual(log.map((e) => [e.stream, e.log]).sort(), [['stderr', 'err\n'], ['stdout', 'out\n']]);
    for (const e of log) assert.match(e.time, TIME);
  });

  it('escapes like moby, splits lines at 16 KiB and flushes a partial line at exit', T, async () => {
    const script = "head -c 20000 /dev/zero | tr '\\0' a; echo; printf 'x\\ty<&>\\377end'";
    const c = await fx.container(['sh', '-c', script]);
    await fx.start(c);
    await fx.runc('start', c.id);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    const text = await readFile(c.logPath, 'utf8');
    const log = await readLog(c.logPath);
    assert.deepEqual(log.map((e) => e.log.length), [16384, 20000 - 16384 + 1, 10]);
    assert.equal(log[0]?.time, log[1]?.time, 'pieces of one line share its first time');
    assert.ok(text.endsWith('{"log":"x\\u0009y\\u003c\\u0026\\u003e\\ufffdend","stream":"stdout","time":"' + log[2]?.time + '"}\n'));
  });

  it('--log-format cri: Kubernetes lines, F for a whole line, P for the pieces past 16 KiB', T, async () => {
    const script = "echo out; echo err >&2; head -c 20000 /dev/zero | tr '\\0' a; echo; printf 'tail'";
    const c = await fx.container(['sh', '-c', script]);
    await fx.start(c, { logFormat: 'cri' });
    await fx.runc('start', c.id);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    const lines = (await readFile(c.logPath, 'utf8')).split('\n');
    assert.equal(lines.pop(), '', 'every entry ends with a newline');
    const entries = lines.map((l) => /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(l));
    for (const e of entries) assert.match(e?.[1] ?? '', TIME);
    const shape = entries.map((e) => [e?.[2], e?.[3], (e?.[4] ?? '').length]).sort();
    assert.deepEqual(shape, [['stderr', 'F', 3], ['stdout', 'F', 3], ['stdout', 'F', 20000 - 16384], ['stdout', 'P', 16384], ['stdout', 'P', 4]]);
    assert.ok(lines.some((l) => l.endsWith(' stdout F out')));
    assert.ok(lines.at(-1)?.endsWith(' stdout P tail'), 'what is left at exit is a piece, as containerd writes it');
  });

  it('reopen-log: output goes to a new file at the log path once the old one was renamed', T, async () => {
    const c = await fx.container(['sh', '-c', 'i=0; while [ $i -lt 100 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done']);
    await fx.start(c, { logFormat: 'cri' });
    await fx.runc('start', c.id);
    await until(async () => ((await readFile(c.logPath, 'utf8').catch(() => '')).includes('tick 2') ? true : undefined), 'ticks');
    await rename(c.logPath, `${c.logPath}.1`);
    await sendControl(c.stateDir, 'reopen-log');
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    const [old, fresh] = [await readFile(`${c.logPath}.1`, 'utf8'), await readFile(c.logPath, 'utf8')];
    assert.match(old, / stdout F tick 0$/m);
    assert.match(fresh, / stdout F tick 99$/m);
    assert.doesNotMatch(fresh, / tick 0$/m);
  });

  it('attach without tty: stdin reaches the container, output comes back framed', T, async () => {
    const c = await fx.container(['cat']);
    await fx.start(c, { stdin: true, stdinOnce: true });
    const socket = await connectAttach(c.stateDir);
    const output = collect(socket);
    await fx.runc('start', c.id);
    socket.end('abc\n');
    assert.deepEqual(demux(await output), [{ stream: 1, payload: 'abc\n' }]);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
  });

  it('tty: sets the initial size and resizes through ctl.sock', T, async () => {
    const c = await fx.container(['sh', '-c', 'stty size; sleep 1; stty size'], { tty: true });
    await fx.start(c, { tty: true, consoleSize: [24, 80] });
    const socket = await connectAttach(c.stateDir);
    const output = collect(socket);
    const first = waitForText(socket, '24 80');
    await fx.runc('start', c.id);
    await first;
    await sendControl(c.stateDir, 'resize 40 120');
    assert.match((await output).toString('utf8'), /24 80\r\n40 120\r\n/);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    const log = await readLog(c.logPath);
    assert.deepEqual(log.map((e) => [e.stream, e.log]), [['stdout', '24 80\r\n'], ['stdout', '40 120\r\n']]);
  });

  it('records 137 for a container killed with SIGKILL', T, async () => {
    const c = await fx.container(['sleep', '100']);
    await fx.start(c);
    await fx.runc('start', c.id);
    await fx.runc('kill', c.id, 'KILL');
    const exit = await waitExit(c.stateDir);
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.signal, 9);
    // The exit file comes first; the monitor then removes its sockets and pid file and ends.
    await until(async () => ((await isMonitorAlive(c.stateDir)) ? undefined : true), 'the monitor to end', 5000);
    assert.deepEqual((await readdir(c.stateDir)).filter((f) => /\.sock$|^monitor\.pid$/.test(f)), []);
  });

  it('outlives the process that started it', T, async () => {
    const c = await fx.container(['sh', '-c', 'sleep 1; echo done']);
    fx.track(c.id);
    const clientUrl = new URL('../../../src/drivers/monitor/monitor-client.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(clientUrl)});
      const r = await m.startMonitor(JSON.parse(process.env.MONITOR_OPTIONS));
      console.log(JSON.stringify(r)); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, MONITOR_OPTIONS: JSON.stringify(fx.options(c)) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(b.toString()));
      child.once('exit', (code) => reject(new Error(`the starting process exited (${code}) without a report`)));
    });
    const started = JSON.parse(line) as MonitorStarted;
    fx.track(c.id, started.monitorPid);
    await fx.runc('start', c.id);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(await fx.status(c.id), 'running');
    assert.equal(await isMonitorAlive(c.stateDir), true);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    assert.deepEqual((await readLog(c.logPath)).map((e) => e.log), ['done\n']);
  });

  it('rejects with the runtime error when the command does not exist', T, async () => {
    const c = await fx.container(['/nonexistent']);
    await assert.rejects(fx.start(c), (err: Error) => {
      assert.ok(err instanceof InvalidParameterError, `${err.name}: ${err.message}`);
      assert.match(err.message, /no such file or directory|executable file not found/);
      return true;
    });
    assert.deepEqual((await readdir(c.stateDir)).filter((f) => /\.sock$|^monitor\.pid$/.test(f)), []);
    assert.equal(await readExit(c.stateDir), undefined);
  });

  it('--run starts the container at once; --hold-output keeps its first output for the first attach client', T, async () => {
    const c = await fx.container(['sh', '-c', 'echo early; sleep 0.3; echo late']);
    await fx.start(c, { runNow: true, holdOutput: true });
    // No `runc start`: the process runs already, and its early line waits for us.
    await sleep(150);
    const socket = await connectAttach(c.stateDir);
    const frames = demux(await collect(socket));
    assert.deepEqual(frames.map((f) => [f.stream, f.payload]), [[1, 'early\n'], [1, 'late\n']]);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    assert.deepEqual((await readLog(c.logPath)).map((e) => e.log), ['early\n', 'late\n']);
  });

  it('--run is refused with --exec-process, and a missing command fails as with create', T, async () => {
    const c = await fx.container(['/nonexistent']);
    await assert.rejects(fx.start(c, { runNow: true }), /no such file or directory|executable file not found/);
    const d = await fx.container(['true']);
    await assert.rejects(fx.start(d, { runNow: true, execProcessFile: await fx.processFile(d, ['true']) }), /--run is for containers/);
  });

  it('exec mode: runs a process in a running container with its own exit and log', T, async () => {
    const c = await fx.container(['sleep', '30']);
    const main = await fx.start(c);
    await fx.runc('start', c.id);
    const execDir = join(c.stateDir, 'exec-1');
    await mkdir(execDir);
    const execLog = join(execDir, 'exec.log');
    const started = await fx.start(
      { ...c, stateDir: execDir, logPath: execLog },
      { execProcessFile: await fx.processFile(c, ['echo', 'from-exec']), exitFile: 'exec-exit.json' },
    );
    assert.notEqual(started.pid, main.pid);
    assert.deepEqual({ ...(await waitExit(execDir, 'exec-exit.json')), finishedAt: '' }, { exitCode: 0, signal: null, finishedAt: '' });
    assert.deepEqual((await readLog(execLog)).map((e) => [e.stream, e.log]), [['stdout', 'from-exec\n']]);
    assert.equal(await fx.status(c.id), 'running');
    assert.equal(await readExit(c.stateDir), undefined);
  });

  it('uses less than 2 MiB of RSS per container', T, async (t) => {
    const c = await fx.container(['sleep', '100']);
    const { monitorPid } = await fx.start(c, { stdin: true });
    await fx.runc('start', c.id);
    await sleep(200);
    const status = await readFile(`/proc/${monitorPid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
    t.diagnostic(`berth-monitor VmRSS: ${rssKiB} kB`);
    assert.ok(rssKiB > 0 && rssKiB < 2048, `VmRSS ${rssKiB} kB`);
    await fx.runc('kill', c.id, 'KILL');
    assert.equal((await waitExit(c.stateDir)).exitCode, 137);
  });
});
