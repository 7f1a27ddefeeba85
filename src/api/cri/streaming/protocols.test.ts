import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPortForwardStream, portForwardRequestId } from './portforward-spdy.js';
import { commandProtocolVersion, headerList, negotiateStreamProtocol, negotiateWebSocketProtocol, SPDY_COMMAND_PROTOCOLS } from './protocols.js';
import { portsOf, splitAddress } from './streaming-server.js';

test('X-Stream-Protocol-Version: the first of the client\'s that the server serves', () => {
  assert.deepEqual(negotiateStreamProtocol({ 'x-stream-protocol-version': 'v5.channel.k8s.io, v4.channel.k8s.io,v3.channel.k8s.io' }, SPDY_COMMAND_PROTOCOLS), {
    ok: true,
    protocol: 'v4.channel.k8s.io',
  });
  const missing = negotiateStreamProtocol({}, SPDY_COMMAND_PROTOCOLS);
  assert.ok(!missing.ok && missing.status === 400 && /does not exist/.test(missing.message));
  const none = negotiateStreamProtocol({ 'x-stream-protocol-version': 'v9.channel.k8s.io' }, SPDY_COMMAND_PROTOCOLS);
  assert.ok(!none.ok && none.status === 403);
  assert.ok(!none.ok && none.headers['X-Accepted-Stream-Protocol-Versions']?.includes('v4.channel.k8s.io'));
});

test('Sec-WebSocket-Protocol: the client\'s order wins; none offered is the unnamed protocol', () => {
  const served = ['v5.channel.k8s.io', 'v4.channel.k8s.io', ''];
  assert.equal(negotiateWebSocketProtocol({ 'sec-websocket-protocol': 'v4.channel.k8s.io, v5.channel.k8s.io' }, served), 'v4.channel.k8s.io');
  assert.equal(negotiateWebSocketProtocol({}, served), '');
  assert.equal(negotiateWebSocketProtocol({ 'sec-websocket-protocol': 'v9.channel.k8s.io' }, served), undefined);
  assert.equal(negotiateWebSocketProtocol({}, ['v5.channel.k8s.io']), undefined);
});

test('protocol versions and header lists', () => {
  assert.equal(commandProtocolVersion('v4.channel.k8s.io'), 4);
  assert.equal(commandProtocolVersion('channel.k8s.io'), 1);
  assert.deepEqual(headerList(['a, b', 'c', '']), ['a', 'b', 'c']);
});

test('port-forward stream headers are checked as the kubelet checks them', () => {
  assert.equal(checkPortForwardStream('80', 'data'), undefined);
  assert.match(checkPortForwardStream(undefined, 'data') ?? '', /"port" header is required/);
  assert.match(checkPortForwardStream('0', 'data') ?? '', /must be > 0/);
  assert.match(checkPortForwardStream('70000', 'data') ?? '', /unable to parse/);
  assert.match(checkPortForwardStream('80', undefined) ?? '', /"streamType" header is required/);
  assert.match(checkPortForwardStream('80', 'stdin') ?? '', /invalid stream type "stdin"/);
  assert.equal(portForwardRequestId('7', 'data', 9), '7');
  assert.equal(portForwardRequestId(undefined, 'error', 5), '5');
  assert.equal(portForwardRequestId(undefined, 'data', 7), '5');
});

test('?port= lists and listen addresses', () => {
  assert.deepEqual(portsOf('/portforward/x?port=80&port=443,8080'), [80, 443, 8080]);
  assert.throws(() => portsOf('/portforward/x'), /"port" is required/);
  assert.throws(() => portsOf('/portforward/x?port=0'), /must be > 0/);
  assert.deepEqual(splitAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(splitAddress('[::1]:10010'), { host: '::1', port: 10010 });
  assert.throws(() => splitAddress('localhost'), /has no port/);
});
