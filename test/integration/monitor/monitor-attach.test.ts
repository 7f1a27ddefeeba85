import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAttach, sendControl, waitExit } from '../../../src/drivers/monitor/monitor-client.js';
import { demux, MonitorFixture, readLog } from './monitor-fixture.js';

const T = { timeout: 30_000 };

function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

describe('berth-monitor attach, stdin and state directory', () => {
  let fx: MonitorFixture;
  before(async () => {
    fx = await MonitorFixture.create();
  });
  after(async () => {
    await fx.cleanup();
  });

  it('stdin-once: an empty stdin (immediate half-close) ends cat', T, async () => {
    const c = await fx.container(['cat']);
    await fx.start(c, { stdin: true, stdinOnce: true });
    const socket = await connectAttach(c.stateDir);
    const output = collect(socket);
    await fx.runc('start', c.id);
    socket.end();
    assert.equal((await output).length, 0);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
  });

  it('an output-only client leaving keeps stdin open; close-stdin closes it', T, async () => {
    const c = await fx.container(['cat']);
    await fx.start(c, { stdin: true, stdinOnce: true });
    const watcher = await connectAttach(c.stateDir);
    const output = collect(watcher);
    await fx.runc('start', c.id);
    const writer = await connectAttach(c.stateDir);
    writer.destroy(); // a full close without input: not the end of stdin
    await sleep(300);
    assert.equal(await fx.status(c.id), 'running');
    const feeder = await connectAttach(c.stateDir);
    feeder.write('line\n');
    await sleep(100);
    feeder.destroy(); // sent stdin, then closed: with stdin-once that ends stdin
    assert.deepEqual(demux(await output), [{ stream: 1, payload: 'line\n' }]);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
  });

  it('close-stdin over ctl.sock ends the container input', T, async () => {
    const c = await fx.container(['sh', '-c', 'cat; echo closed']);
    await fx.start(c, { stdin: true });
    await fx.runc('start', c.id);
    await sleep(100);
    assert.equal(await fx.status(c.id), 'running');
    await sendControl(c.stateDir, 'close-stdin');
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    assert.deepEqual((await readLog(c.logPath)).map((e) => e.log), ['closed\n']);
    await assert.rejects(sendControl(c.stateDir, 'resize 1 1'), { name: 'ConflictError' });
  });

  it('answers unknown control commands with an error', T, async () => {
    const c = await fx.container(['sleep', '100']);
    await fx.start(c);
    await assert.rejects(sendControl(c.stateDir, 'frobnicate'), /unknown command: frobnicate/);
    await sendControl(c.stateDir, 'resize 10 10'); // no tty: accepted and ignored
    await fx.runc('kill', c.id, 'KILL');
    assert.equal((await waitExit(c.stateDir)).exitCode, 137);
  });

  it('tty with stdin: input goes through the pty', T, async () => {
    const c = await fx.container(['sh', '-c', 'read x; echo "got:$x"'], { tty: true });
    await fx.start(c, { tty: true, stdin: true, stdinOnce: true });
    const socket = await connectAttach(c.stateDir);
    const output = collect(socket);
    await fx.runc('start', c.id);
    socket.write('hello\n');
    assert.equal((await output).toString(), 'hello\r\ngot:hello\r\n'); // the pty echoes input
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
  });

  it('exec with a tty gets its own console', T, async () => {
    const c = await fx.container(['sleep', '30']);
    await fx.start(c);
    await fx.runc('start', c.id);
    const execDir = join(c.stateDir, 'exec-tty');
    await mkdir(execDir);
    const started = await fx.start(
      { ...c, stateDir: execDir, logPath: join(execDir, 'exec.log') },
      { tty: true, consoleSize: [30, 100], // The monitor sizes the pty once the runtime hands it over, which can be after the process
      // started: wait for the size rather than race it (berthd also gives the runtime the size).
      execProcessFile: await fx.processFile(c, ['sh', '-c', 'while [ "$(stty size 2>/dev/null)" != "30 100" ]; do sleep 0.05; done; stty size'], { tty: true }) },
    );
    assert.ok(started.pid > 0);
    assert.equal((await waitExit(execDir)).exitCode, 0);
    assert.deepEqual((await readLog(join(execDir, 'exec.log'))).map((e) => e.log), ['30 100\r\n']);
  });

  it('drops a client that does not read instead of blocking the container', T, async () => {
    const total = 3_000_000;
    const c = await fx.container(['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' a; echo end >&2`]);
    await fx.start(c);
    const slow = await connectAttach(c.stateDir);
    slow.pause();
    await fx.runc('start', c.id);
    assert.equal((await waitExit(c.stateDir)).exitCode, 0);
    const log = await readLog(c.logPath);
    const stdout = log.filter((e) => e.stream === 'stdout').reduce((n, e) => n + e.log.length, 0);
    assert.equal(stdout, total);
    assert.deepEqual(log.filter((e) => e.stream === 'stderr').map((e) => e.log), ['end\n']);
    const received = collect(slow);
    slow.resume();
    // Dropped at 1 MiB queued: its queue is discarded, only what its socket buffer held arrives.
    const got = await received;
    assert.ok(got.length > 0 && got.length < 1024 * 1024, `slow client got ${got.length} bytes`);
  });

  it('works in a state directory whose socket paths exceed sun_path, with a tty', T, async () => {
    const c = await fx.container(['sh', '-c', 'sleep 0.2; echo long'], { tty: true });
    const stateDir = join(c.stateDir, 'x'.repeat(60), 'y'.repeat(60));
    await mkdir(stateDir, { recursive: true });
    const long = { ...c, stateDir };
    await fx.start(long, { tty: true });
    const socket = await connectAttach(stateDir);
    const output = collect(socket);
    await fx.runc('start', c.id);
    assert.equal((await output).toString(), 'long\r\n');
    assert.equal((await waitExit(stateDir)).exitCode, 0);
  });

  it('holds only its own fds while the container runs', T, async () => {
    const c = await fx.container(['sleep', '100']);
    const { monitorPid } = await fx.start(c, { stdin: true });
    await fx.runc('start', c.id);
    const fdDir = `/proc/${monitorPid}/fd`;
    const targets = await Promise.all((await readdir(fdDir)).map((fd) => readlink(join(fdDir, fd))));
    const kinds = targets.map((t) =>
      t === '/dev/null' || t === c.stateDir || t === c.logPath ? t : t.replace(/:\[\d+\]$/, ''),
    );
    // stdio, state dir, signalfd, epoll, log, attach + ctl listeners, stdin/stdout/stderr pipes
    assert.deepEqual(kinds.sort(), [
      '/dev/null', '/dev/null', '/dev/null', c.logPath, c.stateDir,
      'anon_inode:[eventpoll]', 'anon_inode:[signalfd]', 'pipe', 'pipe', 'pipe', 'socket', 'socket',
    ].sort());
    const status = await readFile(`/proc/${monitorPid}/status`, 'utf8');
    assert.match(status, /^PPid:\s+\d+$/m);
    await fx.runc('kill', c.id, 'KILL');
    assert.equal((await waitExit(c.stateDir)).exitCode, 137);
  });
});
