import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, ConnectionError, EngineClient } from './engine-client.js';
import { hijack } from './hijack.js';
import { dechunk, parseHead } from './plain-http.js';

/** A raw socket server: answers the version ping, hands every other request to `onRequest`. */
async function withServer(
  onRequest: (head: string, body: Buffer, socket: Socket) => void,
  run: (client: EngineClient) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hijack-'));
  const path = join(dir, 's.sock');
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      if (head.startsWith('HEAD /_ping')) socket.write('HTTP/1.1 200 OK\r\nApi-Version: 1.50\r\nContent-Length: 0\r\n\r\n');
      else onRequest(head, body, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    await run(new EngineClient(path));
  } finally {
    server.close();
    for (const s of open) s.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('101: request carries the upgrade headers and body; early stream bytes are not lost', async () => {
  let seen = '';
  let seenBody = '';
  await withServer(
    (head, body, socket) => {
      seen = head;
      seenBody = body.toString();
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly');
      socket.on('end', () => socket.end('late'));
    },
    async (client) => {
      const sock = await hijack(client, { method: 'POST', path: '/exec/abc/start', body: { Detach: false, Tty: true } });
      sock.end();
      const chunks: Buffer[] = [];
      for await (const c of sock) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'earlylate');
    },
  );
  assert.match(seen, /^POST \/v1\.50\/exec\/abc\/start HTTP\/1\.1\r\n/);
  assert.match(seen, /\r\nConnection: Upgrade\r\n/);
  assert.match(seen, /\r\nUpgrade: tcp/);
  assert.match(seen, /\r\nContent-Type: application\/json/);
  assert.equal(seenBody, '{"Detach":false,"Tty":true}');
});

test('query parameters are encoded like the rest of the client', async () => {
  let seen = '';
  await withServer(
    (head, _body, socket) => {
      seen = head;
      socket.end('HTTP/1.1 101 UPGRADED\r\n\r\n');
    },
    async (client) => {
      const sock = await hijack(client, { method: 'POST', path: '/containers/c1/attach', query: { stream: true, stdout: true, detachKeys: 'ctrl-a,x' } });
      sock.destroy();
    },
  );
  assert.match(seen, /^POST \/v1\.50\/containers\/c1\/attach\?stream=1&stdout=1&detachKeys=ctrl-a%2Cx HTTP/);
});

test('a JSON error answer becomes an ApiError with the daemon message', async () => {
  await withServer(
    (_head, _body, socket) => {
      const body = '{"message":"No such container: nope"}';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    },
    async (client) => {
      await assert.rejects(hijack(client, { method: 'POST', path: '/containers/nope/attach' }), (e: unknown) => {
        return e instanceof ApiError && e.status === 404 && e.message === 'No such container: nope';
      });
    },
  );
});

test('a chunked error body that is not JSON is printed as is', async () => {
  await withServer(
    (_head, _body, socket) => {
      socket.write('HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
      socket.write('5\r\nhello\r\n');
      setTimeout(() => socket.write('6\r\n world\r\n0\r\n\r\n'), 5);
    },
    async (client) => {
      await assert.rejects(hijack(client, { method: 'POST', path: '/x' }), (e: unknown) => e instanceof ApiError && e.status === 409 && e.message === 'hello world');
    },
  );
});

test('parseHead and dechunk', () => {
  const h = parseHead('HTTP/1.1 101 UPGRADED\r\nContent-Type: x\r\nUpgrade: tcp');
  assert.equal(h.status, 101);
  assert.equal(h.headers.get('upgrade'), 'tcp');
  assert.throws(() => parseHead('garbage'), /malformed/);
  assert.deepEqual(dechunk(Buffer.from('3\r\nabc\r\n0\r\n\r\n')), { body: Buffer.from('abc'), done: true });
  assert.equal(dechunk(Buffer.from('3\r\nab')).done, false);
});

test('buffered requests (json, noContent, wait) over a plain socket: Content-Length, chunked, no body', async () => {
  const heads: string[] = [];
  await withServer(
    (head, body, socket) => {
      heads.push(`${head}\n${body.toString()}`);
      if (head.startsWith('GET /v1.50/version')) socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"Version":"1.2"}');
      else if (head.startsWith('GET /v1.50/containers/json')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n');
        setTimeout(() => socket.end('2\r\n2]\r\n0\r\n\r\n'), 5);
      } else if (head.startsWith('POST /v1.50/containers/c1/start')) socket.end('HTTP/1.1 204 No Content\r\n\r\n');
      else if (head.startsWith('POST /v1.50/containers/c1/wait')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        setTimeout(() => socket.end('10\r\n{"StatusCode":3}\r\n0\r\n\r\n'), 20);
      }
    },
    async (client) => {
      assert.deepEqual(await client.json({ method: 'GET', path: '/version' }), { Version: '1.2' });
      assert.deepEqual(await client.json({ method: 'GET', path: '/containers/json', query: { all: true } }), [1, 2]);
      assert.equal(await client.noContent({ method: 'POST', path: '/containers/c1/start' }), 204);
      // The head comes first (the wait is in place), the body when the container exits.
      const wait = await client.buffered({ method: 'POST', path: '/containers/c1/wait', query: { condition: 'removed' } });
      assert.equal(wait.status, 200);
      assert.equal((await wait.body()).toString(), '{"StatusCode":3}');
    },
  );
  assert.match(heads[0] ?? '', /^GET \/v1\.50\/version HTTP\/1\.1\r\nHost: berth\r\nConnection: close\n$/);
  assert.match(heads[2] ?? '', /^POST \/v1\.50\/containers\/c1\/start HTTP\/1\.1\r\n.*Content-Length: 0/s);
  assert.match(heads[3] ?? '', /^POST \/v1\.50\/containers\/c1\/wait\?condition=removed /);
});

test('buffered requests: errors are the daemon\'s; a cut-short body or a hang-up rejects; no daemon is a ConnectionError', async () => {
  await withServer(
    (head, body, socket) => {
      if (head.startsWith('POST /v1.50/containers/create')) {
        assert.equal(body.toString(), '{"Image":"nope"}');
        const msg = '{"message":"No such image: nope"}';
        socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${msg.length}\r\n\r\n${msg}`);
      } else if (head.startsWith('GET /v1.50/info')) socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nplain failure\n');
      else if (head.startsWith('GET /v1.50/short')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      else if (head.startsWith('POST /v1.50/containers/c1/wait')) socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    },
    async (client) => {
      await assert.rejects(client.json({ method: 'POST', path: '/containers/create', body: { Image: 'nope' } }), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such image: nope');
      await assert.rejects(client.json({ method: 'GET', path: '/info' }), (e: unknown) => e instanceof ApiError && e.status === 500 && e.message === 'plain failure');
      await assert.rejects(client.json({ method: 'GET', path: '/short' }), /closed the connection before its answer was complete/);
      const wait = await client.buffered({ method: 'POST', path: '/containers/c1/wait' });
      const body = wait.body();
      wait.close();
      await assert.rejects(body);
    },
  );
  const dir = mkdtempSync(join(tmpdir(), 'berth-nodaemon-'));
  try {
    await assert.rejects(new EngineClient(join(dir, 'none.sock')).json({ method: 'GET', path: '/version' }), (e: unknown) => e instanceof ConnectionError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
