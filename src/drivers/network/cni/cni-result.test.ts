import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCniError, parseCniResult, podIps } from './cni-result.js';
import { CniPluginError } from './cni-plugin-error.js';
import { parseVersionOutput } from './cni-conf-dir.js';
import { decodeCachedAttachment, encodeCachedAttachment, type CachedAttachment } from './cni-result-cache.js';

// What Debian's bridge plugin (1.1.1) prints for an ADD at cniVersion 1.0.0.
const bridge100 = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'hcni0', mac: '02:00:00:00:00:01' },
    { name: 'veth1234', mac: '02:00:00:00:00:02' },
    { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: '/run/netns/p' },
  ],
  ips: [{ interface: 2, address: '10.233.1.2/24', gateway: '10.233.1.1' }, { interface: 2, address: 'fd00::2/64' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: {},
};

describe('CNI results and errors', () => {
  it('reads a 1.0.0 result and picks the pod addresses of eth0, IPv4 first', () => {
    const r = parseCniResult(JSON.stringify({ ...bridge100, ips: [...bridge100.ips].reverse() }), '1.0.0');
    assert.equal(r.interfaces[2]!.sandbox, '/run/netns/p');
    assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0' }]);
    assert.deepEqual(podIps([r], 'eth0'), ['10.233.1.2', 'fd00::2']);
    assert.deepEqual(podIps([r], 'eth1'), []);
  });

  it('reads 0.3/0.4 results (addresses with "version"), with no interface index meaning the default one', () => {
    const r = parseCniResult(JSON.stringify({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1' }], dns: { nameservers: ['10.1.0.1'] } }), '0.4.0');
    assert.deepEqual(podIps([r], 'eth0'), ['10.1.0.5']);
    assert.deepEqual(r.dns, { nameservers: ['10.1.0.1'] });
  });

  it('fills in the config version when a result has none, and reads 0.2.0\'s ip4/ip6', () => {
    assert.equal(parseCniResult('{"ips":[]}', '0.3.1').cniVersion, '0.3.1');
    assert.equal(parseCniResult('{"ips":[]}', '0.3.1').raw.cniVersion, '0.3.1');
    const legacy = parseCniResult(JSON.stringify({ cniVersion: '0.2.0', ip4: { ip: '10.2.0.3/24', gateway: '10.2.0.1', routes: [{ dst: '0.0.0.0/0' }] } }), '0.2.0');
    assert.deepEqual(podIps([legacy], 'eth0'), ['10.2.0.3']);
    assert.deepEqual(legacy.routes, [{ dst: '0.0.0.0/0' }]);
  });

  it('refuses results it cannot read, saying what is wrong', () => {
    assert.throws(() => parseCniResult('not json', '1.0.0'), /not JSON/);
    assert.throws(() => parseCniResult('[]', '1.0.0'), /not a JSON object/);
    assert.throws(() => parseCniResult('{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]}', '1.0.0'), /not an address in CIDR/);
    assert.throws(() => parseCniResult('{"cniVersion":"1.0.0","interfaces":[],"ips":[{"address":"10.0.0.1/8","interface":3}]}', '1.0.0'), /names no interface/);
  });

  it('reads the spec\'s error object, else stderr, else the exit status (libcni\'s pluginErr)', () => {
    assert.deepEqual(parseCniError('{"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"no bridge"}', '', 'exit 1'), { code: 7, msg: 'bad config', details: 'no bridge' });
    assert.deepEqual(parseCniError('', 'panic: boom\n', 'exit 2'), { msg: 'failed (exit 2): panic: boom' });
    assert.deepEqual(parseCniError('', '', 'signal SIGKILL'), { msg: 'failed with no error message (signal SIGKILL)' });
    assert.match(parseCniError('garbage', 'more', 'exit 1').msg, /printed no CNI error object: "garbage"; stderr: more/);
  });

  it('makes a plugin failure one typed error naming the plugin, network, pod, code and what to do', () => {
    const base = { plugin: 'bridge', path: '/usr/lib/cni/bridge', network: 'berth-cni', source: '/etc/cni/net.d/10-berth.conflist', command: 'ADD' as const, target: 'pod default/web (sandbox abc123)' };
    const e = new CniPluginError({ ...base, error: { code: 7, msg: 'bad config', details: 'no bridge' } });
    assert.equal(e.message, 'CNI plugin "bridge" of network "berth-cni" failed to ADD pod default/web (sandbox abc123): bad config: no bridge (CNI error 7: invalid network config); fix the plugin\'s configuration in /etc/cni/net.d/10-berth.conflist');
    assert.equal(e.kind, 'system');
    assert.equal(e.code, 7);
    assert.equal(new CniPluginError({ ...base, error: { code: 11, msg: 'busy' } }).kind, 'unavailable');
    assert.equal(new CniPluginError({ ...base, timedOut: true, error: { msg: 'killed' } }).kind, 'unavailable');
    assert.match(new CniPluginError({ ...base, error: { code: 120, msg: 'mine' } }).message, /\(CNI error 120\); see the plugin's message; .* its binary is \/usr\/lib\/cni\/bridge$/);
  });

  it('reads VERSION answers', () => {
    assert.deepEqual(parseVersionOutput('{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'), ['0.4.0', '1.0.0']);
    assert.deepEqual(parseVersionOutput('{"cniVersion":"0.1.0"}'), ['0.1.0']);
    assert.throws(() => parseVersionOutput('{}'), /neither/);
  });

  it('keeps the result cache in libcni\'s format and reads it back', () => {
    const a: CachedAttachment = { containerId: 'abc', ifName: 'eth0', networkName: 'n', netns: '/run/netns/p', config: '{"name":"n"}', cniArgs: [['K8S_POD_NAME', 'web']], capabilityArgs: { portMappings: [] }, result: bridge100 };
    const text = encodeCachedAttachment(a);
    const raw = JSON.parse(text) as Record<string, unknown>;
    assert.equal(raw.kind, 'cniCacheV1');
    assert.equal(raw.config, Buffer.from('{"name":"n"}').toString('base64'));
    assert.deepEqual(decodeCachedAttachment(text), a);
    assert.equal(decodeCachedAttachment('{"kind":"other"}'), undefined);
    assert.equal(decodeCachedAttachment('nope'), undefined);
  });
});
