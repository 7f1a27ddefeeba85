import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GrpcCallError, grpcCall } from './grpc-channel.js';

const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, ...[24, 16, 8, 0].map((s) => (body.length >>> s) & 0xff)]), body]);
const text = { encode: (s: string) => Buffer.from(s), decode: (b: Buffer) => b.toString() };

/** A gRPC peer (the part buildx's session plays) on loopback, answering each call with `serve`. */
async function peer(serve: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void): Promise<{ server: Http2Server; url: string }> {
  const server = createServer();
  server.on('stream', (stream, headers) => serve(stream, headers as Record<string, unknown>));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('grpcCall: frames messages both ways (split across chunks), sends metadata, ends at grpc-status 0', async () => {
  let seen: Record<string, unknown> = {};
  const { server, url } = await peer((stream, headers) => {
    seen = headers;
    const got: Buffer[] = [];
    stream.on('data', (c: Buffer) => got.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      const all = Buffer.concat(got);
      // Echo back in two writes that cut a frame in the middle.
      const out = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from(`got ${all.length} bytes`))]);
      stream.write(out.subarray(0, 6));
      stream.end(out.subarray(6));
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    });
  });
  const h2 = connect(url);
  try {
    const call = grpcCall(h2, '/test.Svc/Echo', { 'dir-name': ['context'], followpaths: ['a', 'b'] }, text.encode, text.decode);
    await call.send('hello');
    await call.send('');
    call.closeSend();
    assert.equal(await call.recv(), 'one');
    assert.equal(await call.recv(), 'got 15 bytes');
    assert.equal(await call.recv(), null);
    assert.equal(seen[':path'], '/test.Svc/Echo');
    assert.equal(seen['content-type'], 'application/grpc');
    assert.equal(seen['dir-name'], 'context');
    assert.equal(seen.followpaths, 'a, b');
  } finally {
    h2.destroy();
    server.close();
  }
});

test('grpcCall: a non-zero grpc-status rejects recv with the code and the message', async () => {
  const { server, url } = await peer((stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'secret%20foo%20not%20found' }, { endStream: true });
  });
  const h2 = connect(url);
  try {
    const call = grpcCall(h2, '/moby.buildkit.secrets.v1.Secrets/GetSecret', {}, text.encode, text.decode);
    await call.send('x');
    call.closeSend();
    await assert.rejects(call.recv(), (err: unknown) => err instanceof GrpcCallError && err.code === 5 && /secret foo not found/.test(err.message));
  } finally {
    h2.destroy();
    server.close();
  }
});

test('grpcCall: a call the peer closes without a status is an error, not an end', async () => {
  const { server, url } = await peer((stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    stream.end();
  });
  const h2 = connect(url);
  try {
    const call = grpcCall(h2, '/x/Y', {}, text.encode, text.decode);
    call.closeSend();
    await assert.rejects(call.recv(), GrpcCallError);
  } finally {
    h2.destroy();
    server.close();
  }
});
