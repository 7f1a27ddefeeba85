import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError, UnavailableError } from '../../../src/core/errors.js';
import { StreamingServer, type ExecRequest } from '../../../src/api/cri/streaming/streaming-server.js';
import { StreamClient } from '../../helpers/cri-stream-client.js';
import { HostStreamingBackend } from '../../helpers/host-streaming-backend.js';

/**
 * The URLs the CRI RPCs hand out, as the kubelet's: one use each, a minute to live, a 404 for
 * anything else, and the request checks the kubelet makes before it hands one out.
 */

describe('CRI streaming: tokens and requests', () => {
  let now = Date.now();
  const server = new StreamingServer({ backend: new HostStreamingBackend(), now: () => now, maxInFlight: 50 });
  const echo: ExecRequest = { containerId: 'c1', cmd: ['echo', 'hi'], tty: false, stdin: false, stdout: true, stderr: false };

  before(() => server.start());
  after(() => server.close());

  for (const transport of ['spdy', 'websocket']) {
    test(`${transport}: a URL works once; the second use is a 404`, async () => {
      const { url } = server.getExec(echo);
      assert.match(url, new RegExp(`^${server.url}/exec/[A-Za-z0-9_-]{8}$`));
      assert.deepEqual(await StreamClient.run(['exec', '--url', url, '--transport', transport]), { code: 0, stdout: 'hi\n', stderr: '' });
      const again = await StreamClient.run(['exec', '--url', url, '--transport', transport]);
      assert.equal(again.code, 125);
      assert.match(again.stderr, /404 page not found/);
    });

    test(`${transport}: a URL not used within a minute has expired`, async () => {
      const { url } = server.getExec(echo);
      now += 60_001;
      const r = await StreamClient.run(['exec', '--url', url, '--transport', transport]);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /404 page not found/);
    });
  }

  test('a plain request (no upgrade) uses the token up and is told to upgrade', async () => {
    const { url } = server.getExec(echo);
    const plain = await fetch(url, { method: 'POST' });
    assert.equal(plain.status, 400);
    assert.equal(await plain.text(), 'unable to upgrade: missing upgrade headers in request\n');
    const r = await StreamClient.run(['exec', '--url', url]);
    assert.match(r.stderr, /404 page not found/);
  });

  test('a token only opens its own kind of session; unknown paths are 404', async () => {
    const { url } = server.getExec(echo);
    const r = await StreamClient.run(['exec', '--url', url.replace('/exec/', '/attach/')]);
    assert.match(r.stderr, /404 page not found/);
    assert.match((await StreamClient.run(['exec', '--url', url])).stderr, /404 page not found/, 'the attempt used it up, as the kubelet');
    const other = await fetch(`${server.url}/logs/abc`);
    assert.equal(other.status, 404);
    assert.equal(await other.text(), '404 page not found\n');
  });

  test('the kubelet\'s request checks, before any URL is handed out', () => {
    assert.throws(() => server.getExec({ ...echo, tty: true, stderr: true }), (e: unknown) => e instanceof InvalidParameterError && /tty and stderr cannot both be true/.test(e.message));
    assert.throws(() => server.getExec({ ...echo, stdout: false }), /one of stdin, stdout, or stderr must be set/);
    assert.throws(() => server.getExec({ ...echo, containerId: '' }), /missing required container_id/);
    assert.throws(() => server.getAttach({ containerId: '', tty: false, stdin: true, stdout: false, stderr: false }), /missing required container_id/);
    assert.throws(() => server.getPortForward({ podSandboxId: '', port: [] }), /missing required pod_sandbox_id/);
    assert.throws(() => server.getPortForward({ podSandboxId: 'p', port: [0] }), /port 0 is not a TCP port/);
  });

  test('too many URLs waiting at once: refused until some are used or expire', () => {
    now += 120_000; // what earlier tests left is expired
    for (let i = 0; i < 50; i++) server.getExec(echo);
    assert.throws(() => server.getExec(echo), (e: unknown) => e instanceof UnavailableError && /too many streaming requests in flight \(50\)/.test(e.message));
    now += 60_001;
    assert.match(server.getExec(echo).url, /\/exec\//);
  });
});
