import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { answerMessage, rawApi } from '../../helpers/raw-api.js';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';

type IpamConfig = Record<string, unknown>;
type Network = { Id: string; EnableIPv6: boolean; IPAM: { Config: IpamConfig[] }; Containers: Record<string, { IPv4Address: string; IPv6Address: string }> };
type Endpoint = { IPAMConfig: Record<string, unknown> | null; IPAddress: string; GlobalIPv6Address: string; GlobalIPv6PrefixLen: number; IPv6Gateway: string };

/**
 * Dual-stack user-defined bridge networks, as dockerd 20.10 makes them: an IPv6 pool beside the
 * IPv4 one, configured on the bridge and every endpoint only with EnableIPv6. The subnets are
 * ULA prefixes under fd00:b3::/32 unique to this daemon; the docker-py literal 2001:389::/64 is
 * only used for networks without IPv6, which configure nothing on the host.
 */
describe('IPv6 networks', () => {
  let d: TestDaemon;
  let o = 0;
  /** This daemon's own /64s: fd00:b3:<octet>:<n>::/64. */
  const six = (n: number): string => `fd00:b3:${o.toString(16)}:${n}::`;
  const api = (method: string, path: string, body?: unknown): ReturnType<typeof rawApi> => rawApi(d, method, path, '1.41', body);
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    o = d.net?.octet as number;
  });
  // Stopping the test daemon deletes its bridges, and with them every IPv6 address and route made here.
  after(() => removeContainersAndStop(d));

  const network = async (name: string): Promise<Network> => {
    const a = await api('GET', `/networks/${name}`);
    assert.equal(a.status, 200, answerMessage(a));
    return a.body as Network;
  };
  const endpoint = async (c: string, net: string): Promise<Endpoint> => {
    const a = await api('GET', `/containers/${c}/json`);
    assert.equal(a.status, 200, answerMessage(a));
    return (a.body as { NetworkSettings: { Networks: Record<string, Endpoint> } }).NetworkSettings.Networks[net] as Endpoint;
  };
  const create = async (body: Record<string, unknown>): Promise<void> => {
    const a = await api('POST', '/networks/create', body);
    assert.equal(a.status, 201, answerMessage(a));
  };
  const start = async (name: string, net: string, endpointConfig: Record<string, unknown> = {}): Promise<void> => {
    const c = await api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: endpointConfig } } });
    assert.equal(c.status, 201, answerMessage(c));
    const s = await api('POST', `/containers/${name}/start`);
    assert.equal(s.status, 204, answerMessage(s));
  };

  test('docker-py test_create_with_ipv6_address: an IPv6-only pool gets an IPv4 one too; without EnableIPv6 the asked address is kept, not configured', async () => {
    // As docker-py sends it: the fields it was not given are null.
    await create({ Name: 'v6only', IPAM: { Driver: 'default', Config: [{ Subnet: '2001:389::1/64', IPRange: null, Gateway: null, AuxiliaryAddresses: null }], Options: null }, EnableIPv6: false });
    const net = await network('v6only');
    assert.equal(net.EnableIPv6, false);
    assert.equal(net.IPAM.Config.length, 2);
    assert.match(String(net.IPAM.Config[0]?.Subnet), new RegExp(`^10\\.${o}\\.\\d+\\.0/24$`));
    assert.ok(net.IPAM.Config[0]?.Gateway);
    // dockerd shows the subnet as written, and no gateway it was not given.
    assert.deepEqual(net.IPAM.Config[1], { Subnet: '2001:389::1/64' });
    await start('kept', 'v6only', { IPAMConfig: { IPv6Address: '2001:389::f00d' } });
    const ep = await endpoint('kept', 'v6only');
    assert.deepEqual(ep.IPAMConfig, { IPv6Address: '2001:389::f00d' });
    assert.equal(ep.GlobalIPv6Address, '');
    assert.equal(ep.IPv6Gateway, '');
    assert.ok(ep.IPAddress);
    const addrs = ok(await d.docker(['exec', 'kept', 'ip', '-o', 'addr']), 'ip addr').stdout;
    assert.doesNotMatch(addrs, /2001:389/);
    assert.equal((await network('v6only')).Containers[Object.keys((await network('v6only')).Containers)[0] as string]?.IPv6Address, '');
  });

  test('docker-py test_connect_with_ipv6_address and test_create_network_ipv6_enabled', async () => {
    await create({ Name: 'v6range', IPAM: { Driver: 'default', Config: [{ Subnet: '2001:389::1/64', IPRange: '2001:389::0/96', Gateway: '2001:389::ffff' }] } });
    await start('reconnect', 'v6range');
    assert.equal((await api('POST', '/networks/v6range/disconnect', { Container: 'reconnect' })).status, 200);
    const c = await api('POST', '/networks/v6range/connect', { Container: 'reconnect', EndpointConfig: { IPAMConfig: { IPv6Address: '2001:389::f00d' } } });
    assert.equal(c.status, 200, answerMessage(c));
    assert.equal((await endpoint('reconnect', 'v6range')).IPAMConfig?.IPv6Address, '2001:389::f00d');

    await create({ Name: 'v6on', EnableIPv6: true, IPAM: { Driver: 'default', Config: [{ Subnet: `${six(1)}1/64`, IPRange: `${six(1)}/96`, Gateway: `${six(1)}ffff` }] } });
    const net = await network('v6on');
    assert.equal(net.EnableIPv6, true);
    assert.deepEqual(net.IPAM.Config[1], { Subnet: `${six(1)}1/64`, IPRange: `${six(1)}/96`, Gateway: `${six(1)}ffff` });
  });

  test('bad IPv6 pools and addresses are 400s that say what is wrong', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ Subnet: `${six(2)}/64`, Gateway: `${six(3)}1` }, /invalid gateway .* not a host address of subnet/],
      [{ Subnet: `${six(2)}/64`, IPRange: `${six(3)}/80` }, /invalid ip-range .* not inside subnet/],
      [{ Subnet: `${six(2)}/164` }, /Invalid subnet .*invalid CIDR address/],
    ];
    for (const [config, msg] of cases) {
      const a = await api('POST', '/networks/create', { Name: 'bad6', EnableIPv6: true, IPAM: { Config: [config] } });
      assert.equal(a.status, 400, JSON.stringify(config));
      assert.match(answerMessage(a), msg);
    }
    // No pool given: a unique local /64, as dockerd ≥ 27 picks one (20.10 refused).
    const noPool = await api('POST', '/networks/create', { Name: 'ula6', EnableIPv6: true });
    assert.equal(noPool.status, 201, answerMessage(noPool));
    assert.match(String((await network('ula6')).IPAM.Config[1]?.Subnet), /^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/);
    assert.equal((await api('DELETE', '/networks/ula6')).status, 204);
    await create({ Name: 'v6a', EnableIPv6: true, IPAM: { Config: [{ Subnet: `${six(4)}/64` }] } });
    const overlap = await api('POST', '/networks/create', { Name: 'bad6', EnableIPv6: true, IPAM: { Config: [{ Subnet: `${six(4)}/80` }] } });
    assert.equal(overlap.status, 403);
    assert.match(answerMessage(overlap), /overlaps/);
    const outside = await api('POST', '/containers/create?name=bad6c', { Image: 'busybox', HostConfig: { NetworkMode: 'v6a' }, NetworkingConfig: { EndpointsConfig: { v6a: { IPAMConfig: { IPv6Address: `${six(5)}5` } } } } });
    assert.equal(outside.status, 400);
    assert.match(answerMessage(outside), /does not belong to any of this network's subnets/);
    const junk = await api('POST', '/containers/create?name=bad6c', { Image: 'busybox', HostConfig: { NetworkMode: 'v6a' }, NetworkingConfig: { EndpointsConfig: { v6a: { IPAMConfig: { IPv6Address: 'zz' } } } } });
    assert.equal(junk.status, 400);
    assert.equal(answerMessage(junk), 'invalid IPv6 address: zz');
    assert.equal((await api('DELETE', '/networks/v6a')).status, 204);
  });

  test('with EnableIPv6 every endpoint gets an address, the gateway route, a name in DNS (AAAA) and /etc/hosts; peers ping over IPv6', async () => {
    await create({ Name: 'dual', EnableIPv6: true, IPAM: { Config: [{ Subnet: `${six(6)}/64` }] } });
    await start('one', 'dual', { IPAMConfig: { IPv6Address: `${six(6)}f00d` }, Aliases: ['first'] });
    await start('two', 'dual');
    const one = await endpoint('one', 'dual');
    assert.equal(one.GlobalIPv6Address, `${six(6)}f00d`);
    assert.equal(one.GlobalIPv6PrefixLen, 64);
    assert.equal(one.IPv6Gateway, `${six(6)}1`, "the subnet's first host address, as dockerd picks it");
    const two = await endpoint('two', 'dual');
    assert.equal(two.GlobalIPv6Address, `${six(6)}2`, 'the lowest free address past the gateway');
    const listed = Object.values((await network('dual')).Containers).map((c) => c.IPv6Address).sort();
    assert.deepEqual(listed, [`${six(6)}2/64`, `${six(6)}f00d/64`]);
    const routes = ok(await d.docker(['exec', 'two', 'ip', '-6', 'route']), 'ip -6 route').stdout;
    assert.match(routes, new RegExp(`default via ${six(6)}1 dev eth0`));
    const addrs = ok(await d.docker(['exec', 'two', 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0']), 'ip addr').stdout;
    assert.doesNotMatch(addrs.split('\n').find((l) => l.includes(`${six(6)}2/64`)) ?? 'missing', /tentative|missing/);
    // By name (AAAA from the embedded DNS: busybox ping6 asks only for it), by alias, and the gateway.
    const byName = ok(await d.docker(['exec', 'two', 'ping6', '-c', '1', '-W', '2', 'one']), 'ping6 one').stdout;
    assert.match(byName, new RegExp(`PING one \\(${six(6)}f00d\\)`));
    assert.match(byName, /1 packets received/);
    assert.match(ok(await d.docker(['exec', 'one', 'ping6', '-c', '1', '-W', '2', 'two']), 'ping6 two').stdout, /1 packets received/);
    assert.match(ok(await d.docker(['exec', 'two', 'ping6', '-c', '1', '-W', '2', 'first']), 'ping6 alias').stdout, /1 packets received/);
    assert.match(ok(await d.docker(['exec', 'two', 'ping6', '-c', '1', '-W', '2', `${six(6)}1`]), 'ping6 gateway').stdout, /1 packets received/);
    const ns = ok(await d.docker(['exec', 'two', 'nslookup', '-type=AAAA', 'one']), 'nslookup').stdout;
    assert.match(ns, new RegExp(`Address:\\s*${six(6)}f00d`));
    // TCP over IPv6 too: the nft rules Berth installs (ip family) leave it alone.
    await d.docker(['exec', '-d', 'one', 'sh', '-c', 'echo hello6 | nc -l -p 7000']);
    const got = await until(async () => {
      const r = await d.docker(['exec', 'two', 'sh', '-c', `nc ${six(6)}f00d 7000 </dev/null`]);
      return r.stdout.includes('hello6') ? r.stdout : undefined;
    }, 'nc over IPv6');
    assert.match(got, /hello6/);
    const hosts = ok(await d.docker(['exec', 'one', 'cat', '/etc/hosts']), 'hosts').stdout;
    assert.match(hosts, new RegExp(`${six(6)}f00d\\t`));
  });

  test('addresses are released on disconnect and rm, and kept across a daemon restart', async () => {
    await create({ Name: 'lease6', EnableIPv6: true, IPAM: { Config: [{ Subnet: `${six(7)}/64` }] } });
    await start('l1', 'lease6');
    assert.equal((await endpoint('l1', 'lease6')).GlobalIPv6Address, `${six(7)}2`);
    await start('l2', 'lease6');
    assert.equal((await endpoint('l2', 'lease6')).GlobalIPv6Address, `${six(7)}3`);

    await d.halt();
    await d.launch();
    assert.equal((await endpoint('l2', 'lease6')).GlobalIPv6Address, `${six(7)}3`, 'a running container keeps its address');
    ok(await d.docker(['restart', '-t', '0', 'l1']), 'restart l1');
    assert.equal((await endpoint('l1', 'lease6')).GlobalIPv6Address, `${six(7)}2`, 'its lease survived the daemon restart');
    await until(async () => ((await d.docker(['exec', 'l1', 'ping6', '-c', '1', '-W', '1', 'l2'])).code === 0 ? true : undefined), 'ping6 after restart', 15_000);

    ok(await d.docker(['network', 'disconnect', 'lease6', 'l1']), 'disconnect');
    assert.doesNotMatch(ok(await d.docker(['exec', 'l1', 'ip', '-6', '-o', 'addr']), 'addr').stdout, new RegExp(six(7)));
    await start('l3', 'lease6');
    assert.equal((await endpoint('l3', 'lease6')).GlobalIPv6Address, `${six(7)}2`, 'the disconnected address is free again');
    ok(await d.docker(['rm', '-f', 'l2']), 'rm');
    await start('l4', 'lease6');
    assert.equal((await endpoint('l4', 'lease6')).GlobalIPv6Address, `${six(7)}3`, 'the removed container address is free again');
  });

  test('the docker CLI: network create --ipv6 --subnet, run --ip6, inspect', async () => {
    ok(await d.docker(['network', 'create', '--ipv6', '--subnet', `${six(9)}/64`, 'cli6']), 'network create --ipv6');
    ok(await d.docker(['run', '-d', '--name', 'cli6c', '--network', 'cli6', '--ip6', `${six(9)}99`, 'busybox', 'sleep', '300']), 'run --ip6');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.Networks.cli6.GlobalIPv6Address}} {{.NetworkSettings.Networks.cli6.IPAMConfig.IPv6Address}}', 'cli6c']), 'inspect').stdout.trim(), `${six(9)}99 ${six(9)}99`);
    assert.equal(ok(await d.docker(['network', 'inspect', '-f', '{{.EnableIPv6}}', 'cli6']), 'network inspect').stdout.trim(), 'true');
    assert.match(ok(await d.docker(['exec', 'cli6c', 'ip', '-6', '-o', 'addr']), 'addr').stdout, new RegExp(`${six(9)}99/64`));
  });

  test('the default bridge stays IPv4-only', async () => {
    const bridge = await network('bridge');
    assert.equal(bridge.EnableIPv6, false);
    assert.equal(bridge.IPAM.Config.length, 1);
    const r = await api('POST', '/containers/create?name=onbridge', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv6Address: `${six(8)}1` } } } } });
    assert.equal(r.status, 400);
    assert.match(answerMessage(r), /user defined networks only/);
  });
});
