import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { answerMessage, rawApi } from '../../helpers/raw-api.js';

const api = rawApi;
const message = answerMessage;
type Endpoint = { IPAMConfig: unknown; Aliases: string[] | null; DriverOpts: unknown; Links: unknown; DNSNames?: unknown; IPAddress: string };
type Network = { Id: string; Name: string; IPAM: { Options: unknown; Config: Array<Record<string, unknown>> } };

/** Network names and the shapes of network and endpoint inspect, as dockerd 20.10 (API 1.41) and later show them. */
describe('network API shapes', () => {
  let d: TestDaemon;
  let o = 0;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    o = d.net?.octet as number;
  });
  after(async () => {
    const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    const nets = (await d.docker(['network', 'ls', '-q', '-f', 'type=custom']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (nets.length > 0) await d.docker(['network', 'rm', ...nets]);
    await d?.stop();
  });

  const endpoint = async (c: string, net: string, version: string): Promise<Endpoint> => {
    const a = await api(d, 'GET', `/containers/${c}/json`, version);
    assert.equal(a.status, 200, message(a));
    return (a.body as { NetworkSettings: { Networks: Record<string, Endpoint> } }).NetworkSettings.Networks[net] as Endpoint;
  };

  test('names with spaces; CheckDuplicate false reuses a name before 1.44 only; an ambiguous name is refused, an ID works', async () => {
    const spaced = await api(d, 'POST', '/networks/create', '1.41', { Name: 'test 01' });
    assert.equal(spaced.status, 201, message(spaced));
    assert.equal((await api(d, 'GET', '/networks/test%2001', '1.41')).status, 200);
    assert.equal((await api(d, 'DELETE', '/networks/test%2001', '1.41')).status, 204);

    const first = await api(d, 'POST', '/networks/create', '1.41', { Name: 'dup' });
    assert.equal(first.status, 201);
    const checked = await api(d, 'POST', '/networks/create', '1.41', { Name: 'dup', CheckDuplicate: true });
    assert.equal(checked.status, 409);
    assert.equal(message(checked), 'network with name dup already exists');
    const modern = await api(d, 'POST', '/networks/create', '1.44', { Name: 'dup', CheckDuplicate: false });
    assert.equal(modern.status, 409);
    const second = await api(d, 'POST', '/networks/create', '1.41', { Name: 'dup', CheckDuplicate: false });
    assert.equal(second.status, 201);
    const firstId = (first.body as { Id: string }).Id;
    assert.equal((second.body as { Warning: string }).Warning, `Network with name dup (id : ${firstId}) already exists`);
    const ambiguous = await api(d, 'GET', '/networks/dup', '1.41');
    assert.equal(ambiguous.status, 400);
    assert.equal(message(ambiguous), 'network dup is ambiguous (2 matches found based on name)');
    assert.equal(((await api(d, 'GET', `/networks/${firstId}`, '1.41')).body as Network).Name, 'dup');
    assert.equal((await api(d, 'DELETE', `/networks/${firstId}`, '1.41')).status, 204);
    assert.equal((await api(d, 'DELETE', '/networks/dup', '1.41')).status, 204);

    const predefined = await api(d, 'POST', '/networks/create', '1.41', { Name: 'bridge' });
    assert.equal(predefined.status, 403);
  });

  test('IPAM: Options null unless given, auxiliary addresses kept and never handed out', async () => {
    const plain = await api(d, 'POST', '/networks/create', '1.41', { Name: 'plain' });
    assert.equal(((await api(d, 'GET', '/networks/plain', '1.41')).body as Network).IPAM.Options, null);
    assert.equal(((await api(d, 'GET', '/networks/bridge', '1.41')).body as Network).IPAM.Options, null);
    assert.equal(plain.status, 201);
    ok(await d.docker(['network', 'create', 'cli-made']), 'docker network create');
    assert.equal(ok(await d.docker(['network', 'inspect', '-f', '{{json .IPAM.Options}}', 'cli-made']), 'inspect').stdout.trim(), '{}');

    const subnet = `10.${o}.200.0/29`;
    const aux = { a: `10.${o}.200.2`, b: `10.${o}.200.3` };
    const made = await api(d, 'POST', '/networks/create', '1.41', { Name: 'aux', IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `10.${o}.200.1`, AuxiliaryAddresses: aux }] } });
    assert.equal(made.status, 201, message(made));
    assert.deepEqual(((await api(d, 'GET', '/networks/aux', '1.41')).body as Network).IPAM.Config, [{ Subnet: subnet, Gateway: `10.${o}.200.1`, AuxiliaryAddresses: aux }]);
    ok(await d.docker(['run', '-d', '--name', 'aux-user', '--network', 'aux', 'busybox', 'sleep', '300']), 'run');
    assert.equal((await endpoint('aux-user', 'aux', '1.41')).IPAddress, `10.${o}.200.4`);
    const outside = await api(d, 'POST', '/networks/create', '1.41', { Name: 'aux-bad', IPAM: { Config: [{ Subnet: `10.${o}.201.0/24`, AuxiliaryAddresses: { x: '192.0.2.1' } }] } });
    assert.equal(outside.status, 400);
  });

  test('endpoint IPAMConfig, DriverOpts, LinkLocalIPs as asked for; null when not', async () => {
    const made = await api(d, 'POST', '/containers/create?name=ep-bridge', '1.41', {
      Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'bridge' },
      NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { LinkLocalIPs: ['169.254.8.8'] }, DriverOpts: { 'com.docker-py.setting': 'on' } } } },
    });
    assert.equal(made.status, 201, message(made));
    ok(await d.docker(['start', 'ep-bridge']), 'start');
    const ep = await endpoint('ep-bridge', 'bridge', '1.41');
    assert.deepEqual(ep.IPAMConfig, { LinkLocalIPs: ['169.254.8.8'] });
    assert.deepEqual(ep.DriverOpts, { 'com.docker-py.setting': 'on' });
    assert.equal(ep.Links, null);
    assert.match(ok(await d.docker(['exec', 'ep-bridge', 'ip', '-4', 'addr', 'show', 'eth0']), 'ip addr').stdout, /inet 169\.254\.8\.8\/16/);

    ok(await d.docker(['run', '-d', '--name', 'ep-plain', 'busybox', 'sleep', '300']), 'run');
    const plain = await endpoint('ep-plain', 'bridge', '1.41');
    assert.equal(plain.IPAMConfig, null);
    assert.equal(plain.DriverOpts, null);

    ok(await d.docker(['network', 'create', '--subnet', `10.${o}.210.0/24`, 'fixed']), 'network');
    ok(await d.docker(['run', '-d', '--name', 'ep-fixed', '--network', 'fixed', '--ip', `10.${o}.210.23`, 'busybox', 'sleep', '300']), 'run --ip');
    assert.deepEqual((await endpoint('ep-fixed', 'fixed', '1.41')).IPAMConfig, { IPv4Address: `10.${o}.210.23` });
  });

  test('Aliases: the short ID and hostname once joined, before API 1.45 only; DNSNames from 1.44', async () => {
    ok(await d.docker(['network', 'create', 'al']), 'network');
    const made = await api(d, 'POST', '/containers/create?name=al-c', '1.41', { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'al' }, NetworkingConfig: { EndpointsConfig: { al: { Aliases: ['hello'] } } } });
    assert.equal(made.status, 201);
    const short = (made.body as { Id: string }).Id.slice(0, 12);
    // As dockerd 20.10: not before the container joins (compose v1 reconnects, with its links, on this);
    // Docker 25+ at 1.44 (docker-py 7.1's default) shows them from create on.
    assert.deepEqual((await endpoint('al-c', 'al', '1.41')).Aliases, ['hello']);
    assert.deepEqual((await endpoint('al-c', 'al', '1.44')).Aliases, ['hello', short]);
    ok(await d.docker(['start', 'al-c']), 'start');
    assert.deepEqual((await endpoint('al-c', 'al', '1.41')).Aliases, ['hello', short]);
    assert.deepEqual((await endpoint('al-c', 'al', '1.44')).Aliases, ['hello', short]);
    const current = await endpoint('al-c', 'al', '1.45');
    assert.deepEqual(current.Aliases, ['hello']);
    assert.deepEqual(current.DNSNames, ['al-c', 'hello', short]);
    ok(await d.docker(['stop', '-t', '0', 'al-c']), 'stop');
    assert.deepEqual((await endpoint('al-c', 'al', '1.41')).Aliases, ['hello', short]);

    ok(await d.docker(['create', '--name', 'al-d', 'busybox', 'sleep', '300']), 'create');
    const connect = await api(d, 'POST', '/networks/al/connect', '1.41', { Container: 'al-d', EndpointConfig: { Aliases: ['foo', 'bar'] } });
    assert.equal(connect.status, 200, message(connect));
    const dShort = ok(await d.docker(['inspect', '-f', '{{.Id}}', 'al-d']), 'id').stdout.trim().slice(0, 12);
    assert.deepEqual((await endpoint('al-d', 'al', '1.41')).Aliases, ['foo', 'bar', dShort]);
  });

  test('prune honours until and label', async () => {
    ok(await d.docker(['network', 'create', '--label', 'keep=no', 'pr-old']), 'create');
    const cut = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, 1100));
    ok(await d.docker(['network', 'create', '--label', 'keep=no', 'pr-new']), 'create');
    const pruned = await api(d, 'POST', `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ until: [String(cut)], label: ['keep=no'] }))}`, '1.41');
    assert.deepEqual((pruned.body as { NetworksDeleted: string[] }).NetworksDeleted, ['pr-old']);
    assert.equal((await api(d, 'GET', '/networks/pr-new', '1.41')).status, 200);
  });
});
