import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { freePort } from '../../helpers/outside-client.js';

/**
 * `ps --filter network=/publish=/expose=/isolation=` filter as moby's daemon/list.go does. They
 * were accepted and ignored: `docker rm $(docker ps -aq --filter network=x)` removed every container.
 */
describe('ps filters on networks and ports', () => {
  let d: TestDaemon;
  let port: number;
  let netId: string;
  const names = async (...filters: string[]): Promise<string[]> =>
    ok(await d.docker(['ps', '-a', '--format', '{{.Names}}', ...filters.flatMap((f) => ['--filter', f])]), `ps ${filters.join(' ')}`).stdout.split('\n').filter(Boolean).sort();

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    port = await freePort();
    netId = ok(await d.docker(['network', 'create', 'psf-net']), 'network create').stdout.trim();
    ok(await d.docker(['run', '-d', '--name', 'on-net', '--network', 'psf-net', '--expose', '9090', 'busybox', 'sleep', '300']), 'run on-net');
    ok(await d.docker(['run', '-d', '--name', 'published', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '300']), 'run published');
    ok(await d.docker(['create', '--name', 'plain', '--network', 'none', 'busybox', 'true']), 'create plain');
  });
  after(async () => {
    await d?.docker(['rm', '-f', 'on-net', 'published', 'plain']);
    await d?.docker(['network', 'rm', 'psf-net']);
    await d?.stop();
  });

  it('network= takes a network name or a prefix of its ID', async () => {
    assert.deepEqual(await names('network=psf-net'), ['on-net']);
    assert.deepEqual(await names(`network=${netId.slice(0, 8)}`), ['on-net']);
    assert.deepEqual(await names('network=bridge'), ['published']);
    assert.deepEqual(await names('network=no-such-network'), []);
  });

  it('publish= matches a running container\'s public port, expose= its private port; ranges and protocols as docker', async () => {
    assert.deepEqual(await names(`publish=${port}`), ['published']);
    assert.deepEqual(await names(`publish=${port - 1}-${port + 1}/tcp`), ['published']);
    assert.deepEqual(await names(`publish=${port}/udp`), []);
    assert.deepEqual(await names('expose=80'), ['published']);
    assert.deepEqual(await names('expose=9090'), ['on-net']);
    assert.deepEqual(await names('expose=9000-9100', 'network=psf-net'), ['on-net']);
    const bad = await d.docker(['ps', '--filter', `publish=127.0.0.1:${port}`]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /filter for 'publish' should not contain ':'/);
  });

  it('isolation= matches the container\'s isolation exactly (empty on Linux unless asked)', async () => {
    assert.deepEqual(await names('isolation=hyperv'), []);
  });
});
