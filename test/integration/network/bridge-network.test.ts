import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE, run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { freePort, hostFetch, OutsideClient } from '../../helpers/outside-client.js';

/** Bridge networking, published ports, modes and /etc files, through the real docker CLI. */
describe('bridge networking', () => {
  let d: TestDaemon;
  let outside: OutsideClient | undefined;
  let gateway = '';
  const servers: Server[] = [];
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    outside = await OutsideClient.make(d.net?.octet as number);
    gateway = `10.${d.net?.octet}.0.1`;
  });
  after(async () => {
    for (const s of servers) s.close();
    const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    await outside?.remove();
    await d?.stop();
  });

  const runD = async (args: string[]): Promise<string> => ok(await d.docker(['run', '-d', ...args]), `run -d ${args.join(' ')}`).stdout.trim();
  const ipOf = async (ref: string, net = 'bridge'): Promise<string> => ok(await d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, ref]), 'inspect').stdout.trim();
  /** An HTTP request from a new container: the status line, or nothing. */
  const fromContainer = async (host: string, port: number, extra: string[] = []): Promise<string> => {
    const r = await d.docker(['run', '--rm', ...extra, 'busybox', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port} | head -1`]);
    return r.stdout.trim();
  };

  test('two containers on the default bridge have their own IPs and ping each other', async () => {
    await runD(['--name', 'ping-a', 'busybox', 'sleep', '60']);
    await runD(['--name', 'ping-b', 'busybox', 'sleep', '60']);
    const [a, b] = [await ipOf('ping-a'), await ipOf('ping-b')];
    assert.match(a, new RegExp(`^10\\.${d.net?.octet}\\.0\\.\\d+$`));
    assert.notEqual(a, b);
    const ping = ok(await d.docker(['exec', 'ping-a', 'ping', '-c', '1', '-W', '2', b]), 'ping');
    assert.match(ping.stdout, /1 packets received/);
    const ipA = ok(await d.docker(['exec', 'ping-a', 'ip', '-o', '-4', 'addr', 'show', 'eth0']), 'ip addr').stdout;
    assert.ok(ipA.includes(`${a}/24`));
    const stats = JSON.parse(ok(await d.docker(['stats', '--no-stream', '--format', '{{json .}}', 'ping-a']), 'stats').stdout) as { NetIO: string };
    assert.match(stats.NetIO, /^[1-9][\d.]*k?B \/ [1-9][\d.]*k?B$/, 'the ping shows in docker stats NET I/O');
  });

  test("the bridge keeps its own MAC as containers come and go, so containers' ARP entry for the gateway stays right", async () => {
    const bridge = d.net?.bridge as string;
    const macOf = async (): Promise<string> => (await readFile(`/sys/class/net/${bridge}/address`, 'utf8')).trim();
    assert.equal((await readFile(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8')).trim(), '3', 'the MAC was set, not taken from a port');
    const before = await macOf();
    assert.notEqual(before, '00:00:00:00:00:00');
    // MACs of the hosts' veth ends are random: a few of them come and go, the lowest included.
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await runD(['busybox', 'sleep', '60']));
    assert.equal(await macOf(), before);
    ok(await d.docker(['rm', '-f', ...ids.slice(0, 3)]), 'rm');
    assert.equal(await macOf(), before);
    const neigh = ok(await d.docker(['exec', ids[3] as string, 'sh', '-c', `ping -c 1 -W 2 ${gateway} >/dev/null; ip neigh show ${gateway}`]), 'neigh').stdout;
    assert.ok(neigh.includes(before), neigh);
    ok(await d.docker(['rm', '-f', ids[3] as string]), 'rm');
  });

  test('a container without published ports leaves the nft ruleset as it is; one with ports reloads it', async () => {
    // `nft -a` shows each rule's handle, which a reload of the table renews.
    const handles = async (): Promise<string> => ok(await run('nft', ['-a', 'list', 'table', 'ip', d.net?.nftTable as string]), 'nft list').stdout.replace(/^\s*#.*$/gm, '');
    const before = await handles();
    assert.match(before, /# handle \d+/);
    ok(await d.docker(['run', '--rm', 'busybox', 'true']), 'run without ports');
    assert.equal(await handles(), before, 'no reload for a container without ports');
    const port = await freePort();
    ok(await d.docker(['run', '--rm', '-p', `${port}:80`, 'busybox', 'true']), 'run with a port');
    assert.notEqual(await handles(), before, 'the rules of a published port went in and out');
  });

  test('-p P:80 answers on 127.0.0.1, via the bridge gateway from a container, and from outside', async () => {
    const port = await freePort();
    await runD(['--name', 'web', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(await hostFetch('127.0.0.1', port), '404');
    assert.match(await fromContainer(gateway, port), /^HTTP\/1\.[01] 404/);
    assert.equal(await outside?.fetch(outside.hostIp, port), '404');
    const self = ok(await d.docker(['exec', 'web', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${gateway} ${port} | head -1`]), 'hairpin').stdout;
    assert.match(self, /^HTTP\/1\.[01] 404/, 'a container reaches its own published port (hairpin)');
    const mapping = ok(await d.docker(['port', 'web']), 'port').stdout.trim();
    // Every address means IPv6 too, on the same port, as docker shows it.
    assert.equal(mapping, `80/tcp -> 0.0.0.0:${port}\n80/tcp -> [::]:${port}`);
    assert.match(ok(await d.docker(['ps', '--format', '{{.Ports}}', '-f', 'name=web']), 'ps').stdout, new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`));
  });

  test('-p 127.0.0.1:P:80 answers on the host loopback only (not outside, not containers)', async () => {
    const port = await freePort();
    await runD(['--name', 'local-web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(await hostFetch('127.0.0.1', port), '404');
    assert.match(await outside?.fetch(outside.hostIp, port) ?? '', /^ERR/);
    assert.equal(await fromContainer(gateway, port), '');
    assert.equal(await fromContainer('127.0.0.1', port), '');
    // A crafted packet from outside to the host's 127.0.0.1 must not be routed either.
    const route = await outside?.exec('ip', ['route', 'add', '127.0.0.1/32', 'via', outside.hostIp]);
    assert.equal(route?.code, 0, route?.stderr);
    assert.match(await outside?.fetch('127.0.0.1', port) ?? '', /^ERR/);
  });

  test('-P publishes EXPOSEd ports on random host ports; ranges and udp map', async () => {
    // An image whose config EXPOSEs 80 (as a Dockerfile's EXPOSE would).
    ok(await d.docker(['create', '--name', 'expose-src', 'busybox', 'true']), 'create');
    ok(await d.docker(['commit', '--change', 'EXPOSE 80', 'expose-src', 'exposing:1']), 'commit');
    await runD(['--name', 'expose-all', '-P', 'exposing:1', 'httpd', '-f', '-p', '80']);
    const line = ok(await d.docker(['port', 'expose-all', '80/tcp']), 'port').stdout.trim();
    const m = /^0\.0\.0\.0:(\d+)\n\[::\]:(\d+)$/.exec(line);
    assert.ok(m, line);
    assert.equal(m[1], m[2], 'the same random port on both families');
    assert.equal(await hostFetch('127.0.0.1', Number(m[1])), '404');
    const base = await freePort();
    await runD(['--name', 'ranges', '-p', `${base}-${base + 1}:80-81`, '-p', `127.0.0.1::53/udp`, 'busybox', 'sleep', '60']);
    const ports = ok(await d.docker(['port', 'ranges']), 'port').stdout;
    assert.match(ports, new RegExp(`80/tcp -> 0\\.0\\.0\\.0:${base}`));
    assert.match(ports, new RegExp(`81/tcp -> 0\\.0\\.0\\.0:${base + 1}`));
    assert.match(ports, /53\/udp -> 127\.0\.0\.1:\d+/);
  });

  test('outbound traffic is masqueraded: a server outside sees the host address', async () => {
    const port = await freePort();
    const server = outside?.exec(NODE, ['-e', `const s=require('net').createServer(c=>{c.end(c.remoteAddress+'\\n');s.close()});s.listen(${port},'${outside.clientIp}');setTimeout(()=>process.exit(1),10000).unref()`]);
    let got = '';
    for (let i = 0; i < 20 && !got.includes('10.'); i++) {
      got = (await d.docker(['run', '--rm', 'busybox', 'sh', '-c', `nc -w 2 ${outside?.clientIp} ${port} </dev/null`])).stdout.trim();
    }
    await server;
    assert.equal(got.replace('::ffff:', ''), outside?.hostIp);
  });

  test('--add-host survives restart and a daemon restart; --dns, --dns-search, --dns-option, --hostname, --domainname', async () => {
    await runD(['--name', 'etc', '--add-host', 'db.example:10.1.2.3', '--add-host', 'gw:host-gateway', '--dns', '9.9.9.9', '--dns-search', 'corp.example', '--dns-option', 'ndots:2', '--hostname', 'box', '--domainname', 'example.org', 'busybox', 'sleep', '60']);
    const check = async (what: string): Promise<void> => {
      const hosts = ok(await d.docker(['exec', 'etc', 'cat', '/etc/hosts']), `hosts ${what}`).stdout;
      assert.match(hosts, /^10\.1\.2\.3\tdb\.example$/m, what);
      assert.match(hosts, new RegExp(`^${gateway.replaceAll('.', '\\.')}\\tgw$`, 'm'), what);
      assert.match(hosts, /\tbox\.example\.org box$/m, what);
      const resolv = ok(await d.docker(['exec', 'etc', 'cat', '/etc/resolv.conf']), 'resolv').stdout;
      assert.equal(resolv, 'search corp.example\nnameserver 9.9.9.9\noptions ndots:2\n', what);
      assert.equal(ok(await d.docker(['exec', 'etc', 'hostname']), 'hostname').stdout.trim(), 'box');
    };
    await check('at start');
    ok(await d.docker(['restart', '-t', '0', 'etc']), 'restart');
    await check('after restart');
    await d.halt();
    await d.launch();
    await check('after a daemon restart');
    ok(await d.docker(['restart', '-t', '0', 'etc']), 'restart after daemon restart');
    await check('after restart under the new daemon');
  });

  test('published ports keep working across a daemon restart', async () => {
    const port = ok(await d.docker(['port', 'web', '80']), 'port').stdout.split('\n')[0]?.split(':')[1];
    assert.equal(await hostFetch('127.0.0.1', Number(port)), '404');
  });

  test('--mac-address sets the MAC; --ip on the default bridge is refused; --link works there (legacy-links.test)', async () => {
    await runD(['--name', 'mac', '--mac-address', '02:42:de:ad:be:ef', 'busybox', 'sleep', '60']);
    const link = ok(await d.docker(['exec', 'mac', 'cat', '/sys/class/net/eth0/address']), 'mac').stdout.trim();
    assert.equal(link, '02:42:de:ad:be:ef');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.MacAddress}}', 'mac']), 'inspect').stdout.trim(), '02:42:de:ad:be:ef');
    const ip = await d.docker(['run', '--rm', '--ip', `10.${d.net?.octet}.0.99`, 'busybox', 'true']);
    assert.match(ip.stderr, /user defined networks only/);
    const linked = ok(await d.docker(['run', '--rm', '--link', 'mac:m', 'busybox', 'cat', '/etc/hosts']), 'run --link').stdout;
    assert.match(linked, /\tm [0-9a-f]{12} mac$/m);
  });

  test('--network none has only lo; --network host sees the host links; container:<id> shares a namespace', async () => {
    const none = ok(await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']), 'none').stdout.trim().split('\n');
    assert.equal(none.length, 1);
    assert.match(none[0] ?? '', /: lo:/);
    const hostLinks = ok(await run('ip', ['-o', 'link']), 'host ip').stdout.split('\n').filter(Boolean).length;
    const inHost = ok(await d.docker(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']), 'host').stdout.split('\n').filter(Boolean);
    assert.ok(inHost.length >= hostLinks - 2 && inHost.some((l) => l.includes(d.net?.bridge ?? '?')), inHost.join('\n'));
    const shared = ok(await d.docker(['run', '--rm', '--network', 'container:ping-a', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0']), 'container:').stdout;
    assert.ok(shared.includes(await ipOf('ping-a')));
  });

  test('bad input: malformed -p, a taken port, an unknown network — clear errors, nothing half made', async () => {
    const bad = await d.docker(['run', '-d', '-p', '80:abc', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid containerPort|Invalid containerPort/i);
    const port = await freePort();
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((r) => holder.listen(port, '0.0.0.0', () => r()));
    const taken = await d.docker(['run', '-d', '--name', 'taken', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, new RegExp(`${port}.*(already allocated|in use)`));
    const state = ok(await d.docker(['inspect', '-f', '{{.State.Running}} {{.NetworkSettings.SandboxKey}}', 'taken']), 'inspect').stdout.trim();
    assert.equal(state, 'false');
    const rules = ok(await run('nft', ['list', 'table', 'ip', d.net?.nftTable ?? '?']), 'nft').stdout;
    assert.ok(!rules.includes(`dport ${port} `), rules);
    const taken2 = await d.docker(['run', '-d', '-p', `${ok(await d.docker(['port', 'web', '80']), 'port').stdout.split('\n')[0]?.split(':')[1]}:80`, 'busybox', 'sleep', '60']);
    assert.match(taken2.stderr, /already allocated/);
    const unknown = await d.docker(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.match(unknown.stderr, /network nosuchnet not found/);
  });

  test('teardown is exact: rm removes veths, netns, leases and rules', async () => {
    const ids = ok(await d.docker(['ps', '-aq', '--no-trunc']), 'ps').stdout.split('\n').filter(Boolean);
    ok(await d.docker(['rm', '-f', ...ids]), 'rm');
    const links = ok(await run('ip', ['-o', 'link']), 'links').stdout;
    for (const id of ids) assert.ok(!links.includes(`vb${id.slice(0, 10)}`), `veth of ${id} left`);
    assert.deepEqual(await readdir(join(d.execRoot, 'netns')).catch(() => []), []);
    const rules = ok(await run('nft', ['list', 'table', 'ip', d.net?.nftTable ?? '?']), 'nft').stdout;
    assert.ok(!/dnat to/.test(rules), rules);
    const leases = ok(await run('sh', ['-c', `cat ${join(d.dataRoot, 'network', 'ipam')}/*.json`]), 'leases').stdout;
    assert.ok(!/"10\./.test(leases), leases);
  });
});
