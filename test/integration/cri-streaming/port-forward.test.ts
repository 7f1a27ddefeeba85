import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { StreamingServer } from '../../../src/api/cri/streaming/streaming-server.js';
import { StreamClient } from '../../helpers/cri-stream-client.js';
import { HostStreamingBackend } from '../../helpers/host-streaming-backend.js';

/**
 * Port-forward through the CRI streaming server with client-go's port forwarder: over SPDY (the
 * kubelet's and crictl's way), over client-go's SPDY-in-WebSocket tunnel, and with the fallback
 * dialer kubectl uses; the "pod" is a TCP echo server on 127.0.0.1. The kubelet's WebSocket
 * channel form has no client-go client: a plain `ws` client speaks it.
 */

/** One connection to the forwarded port: sends `payload`, half-closes, and returns all it read. */
async function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.end(payload);
  await once(s, 'close');
  return Buffer.concat(chunks);
}

/** A port nothing listens on (the system gave it, and it was closed again). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('CRI streaming: port-forward', () => {
  const backend = new HostStreamingBackend();
  const server = new StreamingServer({ backend });
  const peers = new Set<Socket>();
  const echo: Server = createServer((s) => {
    peers.add(s);
    s.on('close', () => peers.delete(s));
    s.pipe(s);
  });
  let echoPort = 0;

  before(async () => {
    await server.start();
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as AddressInfo).port;
  });
  after(async () => {
    await server.close();
    for (const s of peers) s.destroy();
    await new Promise((r) => echo.close(r));
  });

  for (const transport of ['spdy', 'websocket', 'fallback']) {
    test(`${transport}: several connections, at once and one after another, each echoed whole`, async () => {
      const { url } = server.getPortForward({ podSandboxId: `pod-${transport}`, port: [echoPort] });
      const c = StreamClient.start(['portforward', '--url', url, '--port', String(echoPort), '--transport', transport]);
      try {
        const m = await c.expect(/^ready (\d+):(\d+)$/m);
        const local = Number(m[1]);
        assert.equal(Number(m[2]), echoPort);
        const payloads = [0, 1, 2].map((i) => Buffer.from(`conn-${i} `.repeat(20_000 + i)));
        const echoed = await Promise.all(payloads.map((p) => roundTrip(local, p)));
        for (const [i, p] of payloads.entries()) assert.ok(echoed[i]?.equals(p), `connection ${i} echoed ${echoed[i]?.length} of ${p.length} bytes`);
        const last = await roundTrip(local, Buffer.from('one more'));
        assert.equal(last.toString(), 'one more');
        assert.equal(backend.forwarded.filter((f) => f.podSandboxId === `pod-${transport}` && f.port === echoPort).length, 4);
        c.closeStdin();
        assert.equal(await c.exit(), 0, c.stderr);
      } finally {
        c.kill();
      }
    });
  }

  test('spdy: a port nothing listens on: the backend\'s error reaches the client on the error stream', async () => {
    const port = await closedPort();
    const { url } = server.getPortForward({ podSandboxId: 'pod-refused', port: [port] });
    const c = StreamClient.start(['portforward', '--url', url, '--port', String(port)]);
    try {
      const local = Number((await c.expect(/^ready (\d+):/m))[1]);
      const got = await roundTrip(local, Buffer.from('anyone?'));
      assert.equal(got.length, 0);
      assert.equal(await c.exit(), 125);
      assert.match(c.stderr, new RegExp(`error forwarding port ${port} to pod pod-refused, uid : connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    } finally {
      c.kill();
    }
  });

  test('WebSocket channels (v4.channel.k8s.io): the port first on both channels, then data both ways', async () => {
    const { url } = server.getPortForward({ podSandboxId: 'pod-ws', port: [echoPort] });
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(m));
    await once(ws, 'open');
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 200 && messages.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(2);
    const portLE = Buffer.alloc(2);
    portLE.writeUInt16LE(echoPort);
    assert.deepEqual(messages.slice(0, 2), [Buffer.concat([Buffer.from([0]), portLE]), Buffer.concat([Buffer.from([1]), portLE])]);
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping over channels')]));
    await until(3);
    const data = Buffer.concat(messages.slice(2).map((m) => (assert.equal(m[0], 0), m.subarray(1))));
    assert.equal(data.toString(), 'ping over channels');
    const closed = once(ws, 'close');
    ws.close(1000);
    await closed;
  });
});
