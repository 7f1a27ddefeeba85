import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { startSession } from './hijacked-session.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A connected socket pair: `daemon` plays the daemon's side of a hijacked stream. */
async function pair(): Promise<{ client: Socket; daemon: Socket; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-session-'));
  const path = join(dir, 's.sock');
  let daemon: Socket | undefined;
  const server = createServer({ allowHalfOpen: true }, (s) => {
    daemon = s;
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = createConnection({ path, allowHalfOpen: true });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  while (!daemon) await new Promise((r) => setImmediate(r));
  const d = daemon;
  return {
    client,
    daemon: d,
    close: () => {
      client.destroy();
      d.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function frame(stream: number, text: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([h, Buffer.from(text)]);
}

test('without stdin the client half-closes at once; output is demultiplexed until the daemon closes', async () => {
  const { client, daemon, close } = await pair();
  try {
    const out = new Sink();
    const err = new Sink();
    const session = startSession({ socket: client, tty: false, stdout: out, stderr: err, detachKeys: Buffer.from([16, 17]) });
    await new Promise<void>((resolve) => daemon.once('end', resolve)); // the client's FIN
    daemon.end(Buffer.concat([frame(1, 'out'), frame(2, 'err')]));
    assert.equal(await session.done, 'closed');
    assert.equal(out.text, 'out');
    assert.equal(err.text, 'err');
  } finally {
    close();
  }
});

test('stdin is copied, then half-closed at EOF while output keeps flowing', async () => {
  const { client, daemon, close } = await pair();
  try {
    const stdin = new PassThrough();
    const out = new Sink();
    let received = '';
    daemon.on('data', (d: Buffer) => {
      received += d.toString();
    });
    daemon.on('end', () => daemon.end(frame(1, `echo:${received}`)));
    const session = startSession({ socket: client, tty: false, stdin, stdout: out, stderr: new Sink(), detachKeys: Buffer.alloc(0) });
    stdin.end('hello');
    assert.equal(await session.done, 'closed');
    assert.equal(out.text, 'echo:hello');
  } finally {
    close();
  }
});

test('TTY: raw output, and the detach keys end the session without forwarding them', async () => {
  const { client, daemon, close } = await pair();
  try {
    const stdin = new PassThrough();
    const out = new Sink();
    let received = '';
    daemon.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    daemon.write('prompt$ ');
    const session = startSession({ socket: client, tty: true, stdin, stdout: out, stderr: out, detachKeys: Buffer.from([16, 17]) });
    stdin.write('ls\n');
    await new Promise((r) => setTimeout(r, 20));
    stdin.write(Buffer.from([16]));
    stdin.write(Buffer.from([17]));
    assert.equal(await session.done, 'detached');
    if (!daemon.readableEnded) await new Promise<void>((resolve) => daemon.once('end', resolve));
    assert.equal(received, 'ls\n');
    assert.equal(out.text, 'prompt$ ');
  } finally {
    close();
  }
});

test('a daemon error frame (stream 3) fails the session', async () => {
  const { client, daemon, close } = await pair();
  try {
    const session = startSession({ socket: client, tty: false, stdout: new Sink(), stderr: new Sink(), detachKeys: Buffer.alloc(0) });
    daemon.end(frame(3, 'container vanished'));
    await assert.rejects(session.done, /error from daemon in stream: container vanished/);
  } finally {
    close();
  }
});
