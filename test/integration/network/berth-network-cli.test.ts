import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { freePort, hostFetch } from '../../helpers/outside-client.js';

/** The berth CLI's `network` group and run's networking flags, against berthd. */
describe('berth network CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    const ids = (await d.berth(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.berth(['rm', '-f', ...ids]);
    await d?.stop();
  });

  test('create, ls --format, inspect --format, connect, disconnect, rm, prune', async () => {
    const o = d.net?.octet as number;
    const id = ok(await d.berth(['network', 'create', '--subnet', `10.${o}.20.0/24`, '--label', 'k=v', 'cli-net']), 'create').stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    const ls = ok(await d.berth(['network', 'ls', '--format', '{{.Name}}|{{.Driver}}|{{.Labels}}', '--filter', 'label=k']), 'ls').stdout;
    assert.equal(ls, 'cli-net|bridge|k=v\n');
    const table = ok(await d.berth(['network', 'ls']), 'ls table').stdout.split('\n');
    assert.match(table[0] ?? '', /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.equal(ok(await d.berth(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'cli-net']), 'inspect').stdout.trim(), `10.${o}.20.0/24`);
    ok(await d.berth(['run', '-d', '--name', 'cli-c', 'busybox', 'sleep', '60']), 'run');
    ok(await d.berth(['network', 'connect', '--ip', `10.${o}.20.9`, '--alias', 'cc', 'cli-net', 'cli-c']), 'connect');
    const addr = ok(await d.berth(['exec', 'cli-c', 'ip', '-o', '-4', 'addr']), 'addr').stdout;
    assert.ok(addr.includes(`10.${o}.20.9/24`), addr);
    ok(await d.berth(['network', 'disconnect', 'cli-net', 'cli-c']), 'disconnect');
    assert.ok(!ok(await d.berth(['exec', 'cli-c', 'ip', '-o', '-4', 'addr']), 'addr').stdout.includes(`10.${o}.20.9`));
    assert.equal(ok(await d.berth(['network', 'rm', 'cli-net']), 'rm').stdout.trim(), 'cli-net');
    ok(await d.berth(['network', 'create', 'spare']), 'create spare');
    assert.match(ok(await d.berth(['network', 'prune', '-f']), 'prune').stdout, /Deleted Networks:\nspare/);
    const missing = await d.berth(['network', 'rm', 'spare']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network spare not found/);
    // -f: a missing network is no error; the others are still removed and printed in order.
    for (const n of ['rm-a', 'rm-b']) ok(await d.berth(['network', 'create', n]), `create ${n}`);
    const forced = ok(await d.berth(['network', 'rm', '-f', 'rm-a', 'spare', 'rm-b']), 'rm -f');
    assert.equal(forced.stdout, 'rm-a\nrm-b\n');
    assert.equal(forced.stderr, '');
  });

  test('berth run -p and berth port', async () => {
    const port = await freePort();
    ok(await d.berth(['run', '-d', '--name', 'cli-web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80']), 'run -p');
    assert.equal(ok(await d.berth(['port', 'cli-web']), 'port').stdout.trim(), `80/tcp -> 127.0.0.1:${port}`);
    assert.equal(await hostFetch('127.0.0.1', port), '404');
    const bad = await d.berth(['run', '-p', '1:2:3:4x', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
  });
});
