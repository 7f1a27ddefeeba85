import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { freePort, hostFetch } from '../../helpers/outside-client.js';

const links = async (): Promise<string> => ok(await run('ip', ['-o', 'link']), 'ip link').stdout;
const tableExists = async (table: string): Promise<boolean> => (await run('nft', ['list', 'table', 'ip', table])).code === 0;

/** Crash leftovers are reconciled at daemon start; after stop nothing of the daemon's networking is left. */
describe('network teardown and crash reconciliation', () => {
  let d: TestDaemon;
  let stopped = false;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    if (!stopped) {
      const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
      await d?.stop();
    }
    await run('ip', ['link', 'del', 'vbdeadbeef000']);
  });

  test('a container that dies while berthd is down, and a netns and veth nobody owns, are cleaned at start', async () => {
    const port = await freePort();
    const id = ok(await d.docker(['run', '-d', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80']), 'run').stdout.trim();
    assert.equal(await hostFetch('127.0.0.1', port), '404');
    const pid = ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', id]), 'pid').stdout.trim();
    await d.halt('SIGKILL');
    process.kill(Number(pid), 'SIGKILL');
    // Leftovers of a crash mid-start: a namespace file and a veth on the bridge, owned by nobody.
    const stray = join(d.execRoot, 'netns', 'f'.repeat(64));
    await mkdir(join(d.execRoot, 'netns'), { recursive: true });
    await writeFile(stray, '');
    ok(await run('unshare', [`--net=${stray}`, 'true']), 'stray netns');
    ok(await run('ip', ['link', 'add', 'vbdeadbeef000', 'master', d.net?.bridge ?? '?', 'type', 'veth', 'peer', 'name', 'vbdeadbeef00p']), 'stray veth');
    await d.launch();
    await until(async () => ((await d.docker(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim() === 'false' ? true : undefined), 'container seen as exited');
    assert.deepEqual(await readdir(join(d.execRoot, 'netns')), []);
    const l = await links();
    assert.ok(!l.includes('vbdeadbeef000') && !l.includes(`vb${id.slice(0, 10)}`), l);
    const rules = ok(await run('nft', ['list', 'table', 'ip', d.net?.nftTable ?? '?']), 'nft').stdout;
    assert.ok(!rules.includes(`dport ${port}`), rules);
    // It starts again with the same address: the lease outlived the crash.
    const ipBefore = JSON.stringify(ok(await run('sh', ['-c', `cat ${join(d.dataRoot, 'network', 'ipam')}/*.json`]), 'leases').stdout);
    ok(await d.docker(['start', id]), 'start again');
    const ip = ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]), 'ip').stdout.trim();
    assert.ok(ipBefore.includes(ip), `${ip} not in ${ipBefore}`);
    assert.equal(await hostFetch('127.0.0.1', port), '404');
  });

  test('after rm of everything and daemon stop: no veth, bridge, netns or nft table of this daemon', async () => {
    ok(await d.docker(['network', 'create', 'gone']), 'network create');
    const netId = ok(await d.docker(['network', 'inspect', '-f', '{{.Id}}', 'gone']), 'id').stdout.trim();
    ok(await d.docker(['run', '-d', '--name', 'last', '--network', 'gone', 'busybox', 'sleep', '60']), 'run');
    const ids = ok(await d.docker(['ps', '-aq', '--no-trunc']), 'ps').stdout.split('\n').filter(Boolean);
    ok(await d.docker(['rm', '-f', ...ids]), 'rm');
    ok(await d.docker(['network', 'rm', 'gone']), 'network rm');
    await d.stop();
    stopped = true;
    const l = await links();
    for (const id of ids) assert.ok(!l.includes(`vb${id.slice(0, 10)}`), `veth of ${id} left`);
    assert.ok(!l.includes(`br-${netId.slice(0, 12)}`), 'user bridge left');
    assert.ok(!l.includes(`${d.net?.bridge}:`), 'default bridge left');
    assert.equal(await tableExists(d.net?.nftTable ?? '?'), false);
    const mounts = ok(await run('cat', ['/proc/self/mountinfo']), 'mountinfo').stdout;
    assert.ok(!mounts.includes(d.root), 'a netns bind mount is left');
  });
});
