import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { NODE, run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { makeLab, removeLab, type Lab } from '../../helpers/netns-lab.js';

/**
 * IPv6 on the default bridge (issue 19, part 3): berthd runs with --ipv6 in a "host" network
 * namespace the test makes, joined by a veth to an "outside" one (another machine), so IPv6
 * forwarding, NAT66 and the ip6 table are the namespace's, never this machine's. Every
 * reachability asserted is a real connection.
 */
const HOST6 = 'fd00:b8:1::1';
const OUTSIDE6 = 'fd00:b8:1::2';
const BRIDGE6 = 'fd00:b9:1::/64';

/** A real HTTP request from a namespace; the body when it answered, undefined when it did not. */
async function get(ns: string, url: string): Promise<string | undefined> {
  const r = await run('nsenter', [`--net=${ns}`, 'curl', '-s', '-g', '--max-time', '2', url]);
  return r.code === 0 ? r.stdout : undefined;
}

const SERVER = ['sh', '-c', 'mkdir -p /w && echo reached > /w/index.html && exec httpd -f -p 80 -h /w'];

describe('IPv6 on the default bridge: NAT66 and ports on [::] and [::1]', () => {
  let lab: Lab;
  let d: TestDaemon;
  let echo: ChildProcess | undefined;

  before(async () => {
    lab = await makeLab('berth-v6-', { host4: '10.250.8.1/24', outside4: '10.250.8.2/24', host6: `${HOST6}/64`, outside6: `${OUTSIDE6}/64` });
    d = await TestDaemon.startInNetns(lab.host, ['--ipv6', '--fixed-cidr-v6', BRIDGE6]);
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
  });

  after(async () => {
    echo?.kill();
    await d?.stop();
    if (lab) await removeLab(lab);
  });

  it('the default bridge and its containers are dual-stack, as docker --ipv6 --fixed-cidr-v6 shows them', async () => {
    const net = await d.client.json<{ EnableIPv6: boolean; IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> } }>({ method: 'GET', path: '/networks/bridge' });
    assert.equal(net.EnableIPv6, true);
    assert.deepEqual(net.IPAM.Config[1], { Subnet: BRIDGE6, Gateway: 'fd00:b9:1::1' });
    ok(await d.docker(['run', '-d', '--name', 'web', '-p', '8080:80', '-p', '[::1]:8081:80', 'busybox', ...SERVER]), 'run web');
    const ip6 = ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}}/{{.NetworkSettings.GlobalIPv6PrefixLen}}', 'web']), 'inspect').stdout.trim();
    assert.match(ip6, /^fd00:b9:1::[0-9a-f]+\/64$/);
    const ports = ok(await d.docker(['port', 'web']), 'docker port').stdout;
    assert.match(ports, /^80\/tcp -> 0\.0\.0\.0:8080$/m);
    assert.match(ports, /^80\/tcp -> \[::\]:8080$/m);
    assert.match(ports, /^80\/tcp -> \[::1\]:8081$/m);
  });

  it('a published port answers on IPv6 from outside (DNAT), on the host\'s own address, and on [::1] (proxy)', async () => {
    await until(async () => ((await get(lab.outside, `http://[${HOST6}]:8080/`))?.includes('reached') ? true : undefined), 'outside → [host]:8080', 8_000);
    assert.match((await get(lab.host, `http://[${HOST6}]:8080/`)) ?? '', /reached/, 'the host itself, by its global address');
    assert.match((await get(lab.host, 'http://[::1]:8080/')) ?? '', /reached/, 'the host itself, by ::1');
    assert.match((await get(lab.outside, 'http://10.250.8.1:8080/')) ?? '', /reached/, 'IPv4 still');
    // Other hosts are DNAT (the container sees who connects), not proxied.
    const web6 = ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}}', 'web']), 'inspect').stdout.trim();
    const table = ok(await run('nsenter', [`--net=${lab.host}`, 'nft', 'list', 'table', 'ip6', d.net?.nftTable ?? 'berth']), 'nft list').stdout;
    assert.match(table, new RegExp(`tcp dport 8080 dnat to \\[${web6}\\]:80`));
    assert.doesNotMatch(table, /dport 8081/, '[::1] is never DNAT');
  });

  it('[::1]:port answers on the host only', async () => {
    assert.match((await get(lab.host, 'http://[::1]:8081/')) ?? '', /reached/);
    assert.equal(await get(lab.outside, `http://[${HOST6}]:8081/`), undefined, 'never from outside');
  });

  it('containers reach other IPv6 hosts through NAT66, seen as the host', async () => {
    echo = spawn('nsenter', [`--net=${lab.outside}`, NODE, '-e', `require('http').createServer((q, s) => s.end(q.socket.remoteAddress)).listen(9000, '${OUTSIDE6}')`], { stdio: 'ignore' });
    const seen = await until(async () => {
      const r = await d.docker(['run', '--rm', 'busybox', 'wget', '-qO-', `http://[${OUTSIDE6}]:9000/`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, 'a container reaches the outside over IPv6', 10_000);
    assert.equal(seen, HOST6, 'masqueraded to the host\'s address');
    const table = ok(await run('nsenter', [`--net=${lab.host}`, 'nft', 'list', 'table', 'ip6', d.net?.nftTable ?? 'berth']), 'nft list').stdout;
    assert.match(table, /ip6 saddr fd00:b9:1::\/64 masquerade/);
  });

  it('a container without IPv6 is reached on [::] and [::1] through the proxy', async () => {
    ok(await d.docker(['network', 'create', 'v4only']), 'network create');
    ok(await d.docker(['run', '-d', '--name', 'web4', '--network', 'v4only', '-p', '8082:80', '-p', '[::1]:8083:80', 'busybox', ...SERVER]), 'run web4');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.Networks.v4only.GlobalIPv6Address}}', 'web4']), 'inspect').stdout.trim(), '');
    await until(async () => ((await get(lab.host, 'http://[::1]:8082/'))?.includes('reached') ? true : undefined), '[::1]:8082', 8_000);
    assert.match((await get(lab.host, 'http://[::1]:8083/')) ?? '', /reached/);
    assert.match((await get(lab.outside, `http://[${HOST6}]:8082/`)) ?? '', /reached/);
  });

  it('a port already taken on IPv6 is refused in docker\'s words', async () => {
    const r = await d.docker(['run', '-d', '--name', 'clash', '-p', '[::1]:8081:80', 'busybox', 'sleep', '60']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Bind for \[::1\]:8081 failed: port is already allocated/);
  });

  it('a user network with --ipv6 and no subnet gets a unique local /64; peers reach each other by name over IPv6', async () => {
    ok(await d.docker(['network', 'create', '--ipv6', 'ula']), 'network create --ipv6');
    const subnet = ok(await d.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', 'ula']), 'inspect').stdout.trim().split(' ')[1] ?? '';
    assert.match(subnet, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
    ok(await d.docker(['run', '-d', '--name', 'peer6', '--network', 'ula', 'busybox', 'sleep', '300']), 'run peer6');
    const r = ok(await d.docker(['run', '--rm', '--network', 'ula', 'busybox', 'ping', '-6', '-c', '1', '-W', '2', 'peer6']), 'ping -6 peer6');
    assert.match(r.stdout, new RegExp(`from ${subnet.split('::')[0]}:`));
  });

  it('after a daemon restart the IPv6 ports answer again', async () => {
    await d.halt();
    await d.launch();
    await until(async () => ((await get(lab.host, 'http://[::1]:8081/'))?.includes('reached') ? true : undefined), '[::1]:8081 after restart', 8_000);
    assert.match((await get(lab.outside, `http://[${HOST6}]:8080/`)) ?? '', /reached/);
  });

  it('port audit lists the IPv6 bindings', async () => {
    const a = await d.client.json<{ Ports: Array<{ Container: string; HostIp: string; HostPort: number; Reachable: string }> }>({ method: 'GET', path: '/berth/v1/ports/audit' });
    const web = a.Ports.filter((p) => p.Container === 'web').map((p) => `${p.HostIp} ${p.HostPort} ${p.Reachable}`).sort();
    assert.deepEqual(web, ['0.0.0.0 8080 yes', ':: 8080 yes', '::1 8081 no']);
  });

  it('stopping a container closes its IPv6 ports', async () => {
    ok(await d.docker(['stop', '-t', '1', 'web']), 'stop');
    assert.equal(await get(lab.host, 'http://[::1]:8081/'), undefined);
    assert.equal(await get(lab.outside, `http://[${HOST6}]:8080/`), undefined);
  });
});
