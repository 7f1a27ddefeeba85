import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { peerCaughtUp } from './socket-queue.js';

test('peerCaughtUp: false while a Unix-socket peer has not read, true once it has; false on TCP', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sockq-'));
  const server = createServer({ pauseOnConnect: true });
  try {
    server.listen(join(dir, 's'));
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect({ path: join(dir, 's') });
    client.pause();
    await once(client, 'connect');
    const [peer] = await accepted;
    peer.write('HTTP/1.1 101 UPGRADED\r\n\r\n');
    assert.equal(await peerCaughtUp(peer, 30), false, 'the client has read nothing yet');
    const read = once(client, 'data');
    client.resume();
    await read;
    assert.equal(await peerCaughtUp(peer, 1000), true);
    client.destroy();
    peer.destroy();

    const tcp = createServer();
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const port = (tcp.address() as { port: number }).port;
    const got = once(tcp, 'connection') as Promise<[Socket]>;
    const c = connect(port, '127.0.0.1');
    const [s] = await got;
    assert.equal(await peerCaughtUp(s, 1000), false, 'TCP cannot tell');
    c.destroy();
    s.destroy();
    tcp.close();
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
