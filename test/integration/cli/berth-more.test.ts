import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAll } from '../../../src/client/engine-client.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

/** The commands and routes the other suites do not reach: start -a, port, stats, plain attach, 501s. */
describe('more berth commands and API routes', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    for (const n of ['startme', 'ported', 'busy']) await d.berth(['rm', '-f', n]).catch(() => undefined);
    await d?.stop();
  });

  test('create, then start -a streams the output and exits with the container status', async () => {
    ok(await d.berth(['create', '--name', 'startme', 'busybox', 'sh', '-c', 'echo started; exit 4']), 'create');
    const r = await d.berth(['start', '-a', 'startme']);
    assert.equal(r.stdout, 'started\n');
    assert.equal(r.code, 4);
  });

  test('port prints nothing for a container without published ports', async () => {
    ok(await d.berth(['run', '-d', '--name', 'ported', 'busybox', 'sleep', '60']), 'run');
    const r = ok(await d.berth(['port', 'ported']), 'port');
    assert.equal(r.stdout, '');
    const missing = await d.berth(['port', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: nosuch/);
  });

  test('container stats --no-stream shows the busy container', async () => {
    ok(await d.berth(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'while true; do :; done']), 'run');
    const r = ok(await d.berth(['container', 'stats', '--no-stream', 'busy']), 'stats');
    assert.match(r.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT/);
    assert.match(r.stdout, /\sbusy\s+\d+\.\d+%/);
  });

  test('attach without an upgrade streams the output as a plain response (dockerode without hijack)', async () => {
    const create = await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.3; echo plain'] } });
    const res = await d.client.raw({ method: 'POST', path: `/containers/${create.Id}/attach`, query: { stream: '1', stdout: '1', stderr: '1' } });
    // docker says raw-stream on a plain (not upgraded) attach whatever the framing.
    assert.equal(res.headers['content-type'], 'application/vnd.docker.raw-stream');
    await d.client.noContent({ method: 'POST', path: `/containers/${create.Id}/start` });
    const body = await readAll(res);
    assert.equal(body[0], 1, 'a stdout frame');
    assert.equal(body.subarray(8).toString(), 'plain\n');
    await d.client.noContent({ method: 'DELETE', path: `/containers/${create.Id}`, query: { force: '1' } });
  });

  test('registry errors say which registry failed and how (a closed loopback port, no traffic elsewhere)', async () => {
    const pull = await d.docker(['pull', '127.0.0.1:1/nothing']);
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, /Error response from daemon: Get "http:\/\/127\.0\.0\.1:1\/v2\/nothing\/manifests\/latest": connect: connection refused/);
    const push = await d.docker(['push', '127.0.0.1:1/nothing']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:1\/nothing/);
    const search = await d.docker(['search', '127.0.0.1:1/x']);
    assert.equal(search.code, 1);
    assert.match(search.stderr, /connection refused/);
  });

});
