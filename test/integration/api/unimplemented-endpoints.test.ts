import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ApiError } from '../../../src/client/engine-client.js';

/** Every Engine API endpoint Berth has no route for answers 501 naming it; other paths 404. */
describe('unimplemented endpoints', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start();
    assert.equal((await d.berth(['image', 'bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.stop();
  });

  const status = async (method: string, path: string): Promise<{ code: number; message: string }> => {
    try {
      const res = await d.client.raw({ method: method as 'GET', path }, false);
      res.resume();
      return { code: res.statusCode ?? 0, message: '' };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { code: err.status, message: err.message };
    }
  };

  test('an endpoint of the API Berth lacks answers 501 with its operation, method and path', async () => {
    assert.deepEqual(await status('GET', '/v1.50/distribution/busybox/json'), { code: 501, message: 'DistributionInspect (GET /distribution/{name}/json) is not implemented by this Berth version' });
    assert.deepEqual(await status('POST', '/swarm/init'), { code: 501, message: 'SwarmInit (POST /swarm/init) is not implemented by this Berth version' });
  });

  test('BuildKit\'s /session and /grpc without an h2c upgrade answer 400 naming what they need', async () => {
    for (const path of ['/v1.50/session', '/grpc']) {
      const r = await status('POST', path);
      assert.equal(r.code, 400, path);
      assert.match(r.message, /Upgrade: h2c/, path);
    }
  });

  test('POST /build/cancel: a build id nobody runs is no error, as with dockerd; no id is a 400', async () => {
    assert.deepEqual(await status('POST', '/v1.50/build/cancel?id=nosuchbuild'), { code: 200, message: '' });
    const r = await status('POST', '/build/cancel');
    assert.equal(r.code, 400);
    assert.match(r.message, /build cancel needs the id/);
  });

  test('what a swarm manages answers 503 "not part of a swarm", as a dockerd in no swarm does', async () => {
    const notInSwarm = { code: 503, message: 'This node is not part of a swarm. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' };
    for (const [method, path] of [['GET', '/v1.41/swarm'], ['POST', '/v1.41/swarm/leave?force=true'], ['GET', '/v1.41/services/abc/logs'], ['GET', '/nodes'], ['GET', '/v1.50/secrets'], ['GET', '/configs/x']] as const) {
      assert.deepEqual(await status(method, path), notInSwarm, `${method} ${path}`);
    }
    const r = await d.docker(['swarm', 'leave', '--force']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /This node is not part of a swarm/);
  });

  test('the plugin list is empty, as on a dockerd without plugins (docker-py and `docker plugin ls` read it)', async () => {
    assert.deepEqual(await d.client.json({ method: 'GET', path: '/plugins' }), []);
    const r = await d.docker(['plugin', 'ls', '--format', '{{.Name}}']);
    assert.deepEqual([r.code, r.stdout], [0, '']);
  });

  test('inspecting one object of a kind Berth lacks is 404, so docker inspect probes on', async () => {
    assert.deepEqual(await status('GET', '/v1.50/plugins/web/json'), { code: 404, message: 'plugin "web" not found' });
    const name = 'inspect-probe';
    assert.equal((await d.docker(['create', '--name', name, 'busybox', 'true'])).code, 0);
    const r = await d.docker(['inspect', '-f', '{{.Name}}', name, 'nosuchthing']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `/${name}\n`);
    assert.match(r.stderr, /No such object: nosuchthing/);
    assert.equal((await d.docker(['rm', name])).code, 0);
  });

  test('image names with slashes match {name} endpoints', async () => {
    assert.deepEqual(await status('GET', '/distribution/registry.example/ns/img/json'), { code: 501, message: 'DistributionInspect (GET /distribution/{name}/json) is not implemented by this Berth version' });
  });

  test('a path that is no Engine API endpoint is 404 page not found', async () => {
    assert.deepEqual(await status('GET', '/v1.50/nothing/here'), { code: 404, message: 'page not found' });
    assert.equal((await status('PATCH', '/containers/json')).code, 404);
  });

  test('create --platform of another platform is refused, naming the option; the host\'s is accepted', async () => {
    const r = await d.docker(['create', '--platform', 'linux/arm64', 'busybox', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container option platform "linux\/arm64" is not supported by this Berth version: it runs linux\/amd64 containers/);
    const ok = await d.docker(['create', '--platform', 'linux/amd64', 'busybox', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await d.docker(['rm', ok.stdout.trim()])).code, 0);
  });

  test('the docker CLI shows the 501 message', async () => {
    const r = await d.docker(['swarm', 'init']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SwarmInit \(POST \/swarm\/init\) is not implemented by this Berth version/);
  });
});
