import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import Docker from 'dockerode';
import { FrameDecoder } from '../../../src/api/streams/websocket.js';
import { readAll } from '../../../src/client/engine-client.js';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';
import { ok, until } from '../../helpers/expect.js';
import { PtySession, shellQuote } from '../../helpers/pty-session.js';
import { BERTH_JS, DOCKER, NODE, run, TestDaemon } from '../../helpers/test-daemon.js';

interface Hijacked {
  status: string;
  headers: Record<string, string>;
  socket: Socket;
  /** Stream bytes that came with the response head. */
  first: Buffer;
}

/** Stream bytes until the daemon ends the stream; fails if it has not within `ms` (a hang). */
function readToEnd(socket: Socket, first: Buffer, ms = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks = [first];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the stream did not end within ${ms} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Reads stream bytes until `re` matches what came so far. */
function readUntil(socket: Socket, first: Buffer, re: RegExp, ms = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = first;
    const check = (): boolean => {
      if (!re.test(got.toString('latin1'))) return false;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(got);
      return true;
    };
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      check();
    };
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(got.toString('latin1'))}`)), ms);
    if (!check()) {
      socket.on('data', onData);
      socket.resume();
    }
  });
}

/** docker frames → [stream, text] pairs, consecutive frames of one stream joined (chunks vary). */
function frames(buf: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const n = buf.readUInt32BE(i + 4);
    const stream = buf[i] ?? -1;
    const text = buf.subarray(i + 8, i + 8 + n).toString();
    const last = out.at(-1);
    if (last && last[0] === stream) last[1] += text;
    else out.push([stream, text]);
    i += 8 + n;
  }
  return out;
}

/**
 * Attach and exec streams as an outside client sees them on the socket (raw HTTP, as docker-py
 * does; dockerode; the docker and berth CLIs under a terminal), held to what dockerd 20.10 does:
 * detach keys honoured by the daemon, exec framing, attach logs, streams without an upgrade, and
 * no output lost when the client's input ends early.
 */
describe('attach and exec streams as dockerd', () => {
  let d: TestDaemon;
  let sleeper: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    sleeper = ok(await d.docker(['run', '-d', 'busybox', 'sleep', '600']), 'run -d').stdout.trim();
  });
  after(() => removeContainersAndStop(d));

  /** One HTTP request on a connection of its own; `upgrade` asks for the raw stream. */
  const request = (method: string, path: string, body: unknown, upgrade: boolean, upgradeHeaders = 'Connection: Upgrade\r\nUpgrade: tcp\r\n'): Promise<Hijacked> =>
    new Promise((resolve, reject) => {
      const socket = connect(d.socket);
      const text = body === undefined ? '' : JSON.stringify(body);
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
          (upgrade ? upgradeHeaders : '') +
          `\r\n${text}`,
      );
      let got = Buffer.alloc(0);
      const onData = (c: Buffer): void => {
        got = Buffer.concat([got, c]);
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.pause();
        const [status = '', ...lines] = got.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        resolve({ status, headers, socket, first: got.subarray(end + 4) });
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  const create = async (body: Record<string, unknown>): Promise<string> => (await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', ...body } })).Id;
  const execCreate = async (ctr: string, body: Record<string, unknown>): Promise<string> => (await d.client.json<{ Id: string }>({ method: 'POST', path: `/containers/${ctr}/exec`, body })).Id;
  const running = async (ctr: string): Promise<boolean> => (await d.client.json<{ State: { Running: boolean } }>({ method: 'GET', path: `/containers/${ctr}/json` })).State.Running;

  test('attach: the daemon ends a TTY stream on the detach keys (default, detachKeys=) and the container runs on; bad keys are a 400', async () => {
    const id = await create({ Cmd: ['cat'], OpenStdin: true, Tty: true });
    await d.client.noContent({ method: 'POST', path: `/containers/${id}/start` });
    for (const [query, keys] of [['', '\x10\x11'], ['&detachKeys=ctrl-x', '\x18'], ['&detachKeys=ctrl-a,x', '\x01x']] as const) {
      const h = await request('POST', `/containers/${id}/attach?stdin=1&stdout=1&stream=1${query}`, undefined, true);
      assert.match(h.status, /^HTTP\/1\.1 101/);
      const ended = readToEnd(h.socket, h.first);
      // Typed input reaches the container (its terminal echoes it), and so does a key that only
      // starts a longer sequence, once the next key breaks it.
      const partial = keys.length > 1 ? keys.slice(0, 1) : '';
      h.socket.write(`hi${partial}.\r`);
      await readUntil(h.socket, Buffer.alloc(0), partial === '\x10' ? /hi\^P\./ : partial === '\x01' ? /hi\^A\./ : /hi\./);
      h.socket.write(keys);
      // The daemon ends the stream: this resolves only on its end, and fails on a hang.
      await ended;
      h.socket.destroy();
      assert.equal(await running(id), true, `still running after detaching with ${JSON.stringify(query)}`);
    }
    const bad = await request('POST', `/containers/${id}/attach?stdin=1&stream=1&detachKeys=ctrl-x,aa`, undefined, true);
    assert.match(bad.status, /^HTTP\/1\.1 400/);
    assert.match((await readToEnd(bad.socket, bad.first)).toString(), /Invalid detach keys \(ctrl-x,aa\) provided/);
  });

  test('exec: DetachKeys from exec create (ctrl-p,ctrl-q by default) end the stream, the process runs on; bad keys are a 400', async () => {
    for (const [detachKeys, keys] of [[undefined, '\x10\x11'], ['ctrl-p', '\x10']] as const) {
      // docker-py sends the config file's keys as `detachKeys`: Go's JSON decoding ignores case.
      const exec = await execCreate(sleeper, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true, Tty: true, ...(detachKeys ? { detachKeys } : {}) });
      const h = await request('POST', `/exec/${exec}/start`, { Detach: false, Tty: true }, true);
      const ended = readToEnd(h.socket, h.first);
      h.socket.write(keys);
      await ended;
      h.socket.destroy();
      const inspect = await d.client.json<{ Running: boolean }>({ method: 'GET', path: `/exec/${exec}/json` });
      assert.equal(inspect.Running, true, `the exec runs on after ${JSON.stringify(keys)}`);
    }
    await assert.rejects(d.client.json({ method: 'POST', path: `/containers/${sleeper}/exec`, body: { Cmd: ['cat'], DetachKeys: 'ctrl-x,aa' } }), { status: 400, message: /Invalid escape keys \(ctrl-x,aa\) provided/ });
  });

  test("exec: the terminal is exec create's Tty, the framing is exec start's (docker-py's create(tty=True) + start())", async () => {
    const cases = [
      { create: true, start: false, want: [[1, 'out\r\nerr\r\n']] },
      { create: true, start: true, want: 'out\r\nerr\r\n' },
      // Raw output of a process without a terminal: its stdout only, as docker.
      { create: false, start: true, want: 'out\n' },
      { create: false, start: false, want: [[1, 'out\n'], [2, 'err\n']] },
    ];
    for (const c of cases) {
      const exec = await execCreate(sleeper, { Cmd: ['sh', '-c', 'echo out; sleep 0.1; echo err >&2'], AttachStdout: true, AttachStderr: true, Tty: c.create });
      const h = await request('POST', `/v1.44/exec/${exec}/start`, { Detach: false, Tty: c.start }, true);
      assert.equal(h.headers['content-type'], c.start ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream', JSON.stringify(c));
      const out = await readToEnd(h.socket, h.first);
      if (typeof c.want === 'string') assert.equal(out.toString(), c.want, JSON.stringify(c));
      else assert.deepEqual(frames(out), c.want, JSON.stringify(c));
      h.socket.destroy();
    }
    // Before API 1.42 every upgraded stream says raw-stream.
    const exec = await execCreate(sleeper, { Cmd: ['true'], AttachStdout: true });
    const old = await request('POST', `/v1.41/exec/${exec}/start`, { Detach: false }, true);
    assert.equal(old.headers['content-type'], 'application/vnd.docker.raw-stream');
    await readToEnd(old.socket, old.first);
    old.socket.destroy();
  });

  test('exec start without a connection upgrade streams the output in the response (raw HTTP and dockerode without hijack)', async () => {
    const exec = await execCreate(sleeper, { Cmd: ['sh', '-c', 'echo one; sleep 0.3; echo two >&2; exit 3'], AttachStdout: true, AttachStderr: true });
    const res = await d.client.raw({ method: 'POST', path: `/exec/${exec}/start`, body: { Detach: false } }, false);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.docker.raw-stream');
    assert.deepEqual(frames(await readAll(res)), [[1, 'one\n'], [2, 'two\n']]);
    // The exit code is there once the stream has ended.
    assert.equal((await d.client.json<{ ExitCode: number }>({ method: 'GET', path: `/exec/${exec}/json` })).ExitCode, 3);

    const docker = new Docker({ socketPath: d.socket });
    // dockerode's default, and what testcontainers' exec() sends (stdin, but no hijack).
    for (const opts of [{}, { stdin: true, Detach: false, Tty: false }]) {
      const e = await docker.getContainer(sleeper).exec({ Cmd: ['sh', '-c', 'echo from-dockerode; echo err >&2'], AttachStdout: true, AttachStderr: true });
      const stream = await e.start(opts);
      let stdout = '';
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const sink = (add: (text: string) => void): Writable => new Writable({ write: (chunk: Buffer, _enc, done) => (add(chunk.toString()), done()) });
        docker.modem.demuxStream(stream, sink((t) => (stdout += t)), sink((t) => (stderr += t)));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      stream.destroy();
      assert.deepEqual([stdout, stderr, (await e.inspect()).ExitCode], ['from-dockerode\n', 'err\n', 0], JSON.stringify(opts));
    }
  });

  test('attach logs=1: stream=0 sends the output so far and closes (running or exited), stream=1 goes on with live output', async () => {
    const exited = await create({ Cmd: ['sh', '-c', 'echo hello; echo bye >&2'] });
    await d.client.noContent({ method: 'POST', path: `/containers/${exited}/start` });
    await d.client.json({ method: 'POST', path: `/containers/${exited}/wait` });
    const all = await request('POST', `/containers/${exited}/attach?logs=1&stream=0&stdout=1&stderr=1`, undefined, true);
    assert.deepEqual(frames(await readToEnd(all.socket, all.first)), [[1, 'hello\n'], [2, 'bye\n']]);
    const outOnly = await request('POST', `/containers/${exited}/attach?logs=1&stream=0&stdout=1`, undefined, true);
    assert.deepEqual(frames(await readToEnd(outOnly.socket, outOnly.first)), [[1, 'hello\n']]);
    // Without an upgrade (dockerode's attach) the same, in the response body.
    const plain = await d.client.raw({ method: 'POST', path: `/containers/${exited}/attach`, query: { logs: '1', stream: '0', stdout: '1', stderr: '1' } }, false);
    assert.deepEqual(frames(await readAll(plain)), [[1, 'hello\n'], [2, 'bye\n']]);

    const live = await create({ Cmd: ['sh', '-c', 'echo past; read x; echo live; sleep 600'], OpenStdin: true });
    await d.client.noContent({ method: 'POST', path: `/containers/${live}/start` });
    await until(async () => ((await d.docker(['logs', live])).stdout === 'past\n' ? true : undefined), 'the first line in the log');
    const pastOnly = await request('POST', `/containers/${live}/attach?logs=1&stream=0&stdout=1`, undefined, true);
    assert.deepEqual(frames(await readToEnd(pastOnly.socket, pastOnly.first)), [[1, 'past\n']]);
    const both = await request('POST', `/containers/${live}/attach?logs=1&stream=1&stdin=1&stdout=1`, undefined, true);
    await readUntil(both.socket, both.first, /past/);
    both.socket.write('go\n');
    const got = await readUntil(both.socket, Buffer.alloc(0), /live/);
    assert.deepEqual(frames(got), [[1, 'live\n']]);
    both.socket.destroy();
  });

  test("a client slow to read the 101 answer gets it alone, the output after it (docker-py reads the head through a buffer it then bypasses)", async () => {
    const exited = await create({ Cmd: ['echo', 'hello'] });
    await d.client.noContent({ method: 'POST', path: `/containers/${exited}/start` });
    await d.client.json({ method: 'POST', path: `/containers/${exited}/wait` });
    const execId = await execCreate(sleeper, { Cmd: ['echo', 'from-exec'], AttachStdout: true });
    const cases = [
      { path: `/containers/${exited}/attach?logs=1&stream=0&stdout=1`, body: undefined, want: 'hello\n' },
      { path: `/exec/${execId}/start`, body: { Detach: false, Tty: false }, want: 'from-exec\n' },
    ];
    for (const c of cases) {
      // Nothing is read from the socket until the daemon has had 300 ms to send all it would.
      const socket = connect({ path: d.socket });
      socket.pause();
      const text = c.body === undefined ? '' : JSON.stringify(c.body);
      socket.write(`POST ${c.path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${text}`);
      await new Promise((r) => setTimeout(r, 300));
      const first = await new Promise<Buffer>((resolve) => {
        socket.once('data', (b: Buffer) => {
          socket.pause();
          resolve(b);
        });
        socket.resume();
      });
      const head = first.toString('latin1');
      assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/, c.path);
      assert.ok(head.endsWith('\r\n\r\n'), `${c.path}: the first read holds only the answer, got ${JSON.stringify(head)}`);
      assert.deepEqual(frames(await readToEnd(socket, Buffer.alloc(0))), [[1, c.want]], c.path);
    }
  });

  test('stdin ended before the container starts (run -i </dev/null): its stdin is closed and all output arrives', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'cat; echo done'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
    const h = await request('POST', `/containers/${id}/attach?stdin=1&stdout=1&stderr=1&stream=1`, undefined, true);
    h.socket.end();
    await d.client.noContent({ method: 'POST', path: `/containers/${id}/start` });
    assert.deepEqual(frames(await readToEnd(h.socket, h.first)), [[1, 'done\n']]);
    h.socket.destroy();
    for (const cli of ['docker', 'berth'] as const) {
      const runI = await d[cli](['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done']);
      assert.deepEqual([runI.code, runI.stdout], [0, 'done\n'], `${cli} run -i with empty stdin`);
      const created = ok(await d[cli](['create', '-i', 'busybox', 'sh', '-c', 'cat; echo done']), 'create -i').stdout.trim();
      const startAi = await d[cli](['start', '-ai', created], { input: 'x\n' });
      assert.deepEqual([startAi.code, startAi.stdout], [0, 'x\ndone\n'], `${cli} start -ai`);
    }
  });

  test('websocket attach (/attach/ws): output as binary frames, never multiplexed, logs, detach keys, stdin', async () => {
    const key = randomBytes(16).toString('base64');
    const ws = (path: string): Promise<Hijacked> => request('GET', path, undefined, true, `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n`);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const messages = (buf: Buffer): Array<[number, string]> => new FrameDecoder().push(buf).map((f) => [f.opcode, f.payload.toString()]);
    /** A client frame: text, masked as RFC 6455 requires. */
    const send = (socket: Socket, text: string): void => {
      const payload = Buffer.from(text);
      const mask = randomBytes(4);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ (mask[i % 4] ?? 0))]));
    };

    const id = await create({ Cmd: ['sh', '-c', "printf 'hi there'; sleep 0.2; echo err >&2"] });
    const old = await ws(`/v1.41/containers/${id}/attach/ws?stdout=1&stream=1&logs=1`);
    assert.match(old.status, /^HTTP\/1\.1 101/);
    assert.equal(old.headers['sec-websocket-accept'], accept);
    await d.client.noContent({ method: 'POST', path: `/containers/${id}/start` });
    // Before API 1.42 every stream is attached, whatever the query asks for; then a close frame.
    assert.deepEqual(messages(await readToEnd(old.socket, old.first)), [[2, 'hi there'], [2, 'err\n'], [8, '']]);
    old.socket.destroy();
    await d.client.json({ method: 'POST', path: `/containers/${id}/wait` });
    const logs = await ws(`/v1.44/containers/${id}/attach/ws?stdout=1&logs=1`);
    assert.deepEqual(messages(await readToEnd(logs.socket, logs.first)), [[2, 'hi there'], [8, '']]);
    logs.socket.destroy();

    const tty = await create({ Cmd: ['cat'], OpenStdin: true, Tty: true });
    await d.client.noContent({ method: 'POST', path: `/containers/${tty}/start` });
    const s = await ws(`/v1.44/containers/${tty}/attach/ws?stdin=1&stdout=1&stream=1&detachKeys=ctrl-x`);
    const ended = readToEnd(s.socket, s.first);
    send(s.socket, 'hello\r');
    await readUntil(s.socket, Buffer.alloc(0), /hello\r\n.*hello\r\n/s);
    send(s.socket, '\x18');
    assert.deepEqual(messages(await ended).at(-1), [8, '']);
    s.socket.destroy();
    assert.equal(await running(tty), true);
  });

  /**
   * `script … </dev/null`: the terminal's EOF byte reaches the CLI as input right after it
   * switched to raw mode. It used to make the monitor close the attach socket with that byte
   * unread, and the reset lost the output on its way (15 in 40 runs of `exec -it`).
   */
  test('exec -it and run -it with stdin at EOF from the start: no output lost (docker and berth CLIs, under a terminal)', async () => {
    const cli = { docker: shellQuote(DOCKER), berth: `${shellQuote(NODE)} ${shellQuote(BERTH_JS)}` };
    const runs = [
      { cli: 'docker', args: `exec -it ${sleeper}`, n: 40 },
      { cli: 'docker', args: 'run --rm -it busybox', n: 30 },
      { cli: 'berth', args: `exec -it ${sleeper}`, n: 20 },
      { cli: 'berth', args: 'run --rm -it busybox', n: 15 },
    ] as const;
    const lost: string[] = [];
    for (const r of runs) {
      for (let i = 0; i < r.n; i++) {
        // script(1) leaves 10 ms after its child ends (util-linux lib/pty-session.c: the poll
        // timeout drops to 10 ms on SIGCHLD), and the kernel moves what the CLI last wrote from
        // the terminal's slave to its master on a worker thread: on a busy machine the CLI's last
        // line could miss script's output though the CLI had written it. The shell waits after
        // the CLI, so what is measured is what the CLI wrote, and its exit code is kept.
        const line = `${cli[r.cli]} ${r.args} sh -c 'tty; echo X'; rc=$?; sleep 0.1; exit $rc`;
        const res = await run('sh', ['-c', `script -qfec ${shellQuote(line)} /dev/null </dev/null`], { env: d.env(), timeoutMs: 20_000 });
        // The terminal's EOF byte may be echoed (^@) by the container's terminal: no matter.
        if (!/\/dev\/pts\/\d+\r\n/.test(res.stdout) || !/X\r\n/.test(res.stdout)) lost.push(`${r.cli} ${r.args.split(' ')[0]} #${i}: ${JSON.stringify(res.stdout)} (${res.code})`);
      }
    }
    assert.deepEqual(lost, []);
  });

  test("the CLIs send the config file's detachKeys: berth attach detaches on them", async () => {
    const dir = join(d.root, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-x' }));
    try {
      const id = ok(await d.berth(['run', '-dit', 'busybox', 'sh']), 'run -dit').stdout.trim();
      const s = await PtySession.start(`${shellQuote(NODE)} ${shellQuote(BERTH_JS)} attach ${id}`, d.env());
      try {
        await s.expect(/# /);
        s.type('\x18');
        assert.equal(await s.exit(), 1);
        assert.match(s.text, /read escape sequence/);
      } finally {
        s.kill();
      }
      assert.equal(await running(id), true);
    } finally {
      await rm(join(dir, 'config.json'), { force: true });
    }
  });
});
