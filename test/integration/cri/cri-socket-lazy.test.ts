import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { CriClient } from '../../helpers/cri-client.js';
import { until } from '../../helpers/expect.js';

// The CRI socket answers from daemon start; its gRPC server loads at the first connection only.
let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

const LOADED = 'CRI v1 gRPC server loaded';

test('an idle daemon listens on the CRI socket without loading its gRPC server; calls at once all get answers', async () => {
  // The CRI comes up after the Docker API.
  await until(async () => (/CRI v1 server listening/.test(d.logs) ? true : undefined), 'the CRI socket listening');
  assert.doesNotMatch(d.logs, new RegExp(LOADED), 'the gRPC server is loaded before any call');
  const clients = [new CriClient(d.criSocket), new CriClient(d.criSocket), new CriClient(d.criSocket)];
  try {
    const answers = await Promise.all(clients.map((c, i) => c.call(i === 2 ? 'image' : 'runtime', i === 2 ? 'ListImages' : 'Version')));
    assert.equal(answers[0]?.runtime_name, 'berth');
    assert.equal(answers[1]?.runtime_api_version, 'v1');
    assert.ok(Array.isArray(answers[2]?.images));
  } finally {
    for (const c of clients) c.close();
  }
  assert.equal(d.logs.split(LOADED).length - 1, 1, 'the gRPC server is loaded once');
  const again = new CriClient(d.criSocket);
  try {
    assert.equal((await again.call('runtime', 'Version')).runtime_name, 'berth');
  } finally {
    again.close();
  }
});
