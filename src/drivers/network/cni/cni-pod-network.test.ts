/**
 * The pod network's orchestration against stand-in plugins that record how they were called (no
 * root, no namespace: the "namespace" is a plain file). The real plugins run in
 * test/integration/network/cni.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniPluginError } from './cni-plugin-error.js';
import { CniPodNetwork, type PodNetworkRequest } from './cni-pod-network.js';

interface Call { cmd: string; type: string; ifName: string; netns: string; args: string; path: string; conf: Record<string, unknown> }

/** A plugin in JS: logs each call; ADD passes prevResult on or makes a result with `addr`; `fail` refuses ADD. */
const PLUGIN = (log: string): string => `#!${process.execPath}
const fs = require('fs');
const env = process.env;
const conf = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ cmd: env.CNI_COMMAND, type: conf.type, ifName: env.CNI_IFNAME, netns: env.CNI_NETNS, args: env.CNI_ARGS, path: env.CNI_PATH, conf }) + '\\n');
if (env.CNI_COMMAND === 'VERSION') { console.log(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.3.1', '0.4.0', '1.0.0'] })); process.exit(0); }
if (env.CNI_COMMAND !== 'ADD') process.exit(0);
if (conf.fail) { console.log(JSON.stringify({ cniVersion: conf.cniVersion, code: 11, msg: 'not now' })); process.exit(1); }
const result = conf.prevResult || { cniVersion: conf.cniVersion, interfaces: [{ name: env.CNI_IFNAME, sandbox: env.CNI_NETNS }], ips: conf.addr ? [{ address: conf.addr, interface: 0 }] : [] };
console.log(JSON.stringify(result));
`;

describe('CniPodNetwork with stand-in plugins', () => {
  let root: string;
  let log: string;
  let conf: string;
  let state: string;
  let net: CniPodNetwork;
  let pod: PodNetworkRequest;

  const calls = async (): Promise<Call[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call).filter((c) => c.cmd !== 'VERSION');
  const list = (...plugins: object[]): string => JSON.stringify({ cniVersion: '1.0.0', name: 'podnet', plugins });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hcni-pod-'));
    log = join(root, 'calls.log');
    conf = join(root, 'net.d');
    state = join(root, 'state');
    const bin = join(root, 'bin');
    await mkdir(bin);
    for (const type of ['loopback', 'first', 'second']) {
      await writeFile(join(bin, type), PLUGIN(log));
      await chmod(join(bin, type), 0o755);
    }
    await writeFile(join(root, 'netns'), '');
    net = new CniPodNetwork({ stateDir: state, confDir: conf, binDirs: [join(root, 'nobin'), bin], env: { PATH: '/usr/bin:/bin' } });
    pod = { podId: 'sandbox1', podName: 'web', podNamespace: 'default', podUid: 'u1', netns: join(root, 'netns'), portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }], dns: { servers: ['10.96.0.10'], searches: [], options: [] } };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is not ready until a usable config is there, then sets up lo and eth0 in order, chaining results', async () => {
    assert.deepEqual(await net.refresh(), { ready: false, reason: 'NetworkPluginNotReady', message: `cni plugin not initialized: no network config found in ${conf}` });
    await assert.rejects(net.setUp(pod), /cannot set up the network of pod default\/web \(sandbox sandbox1\): cni plugin not initialized/);
    await mkdir(conf);
    await writeFile(join(conf, '10-pod.conflist'), list({ type: 'first', addr: '10.9.0.5/24' }, { type: 'second', capabilities: { portMappings: true, dns: true } }));
    const r = await net.setUp(pod);
    assert.deepEqual(r.ips, ['10.9.0.5']);
    assert.equal(r.network, 'podnet');
    const c = await calls();
    // lo and the pod network are set up side by side; within a list, plugins run in order.
    const adds = c.map((x) => `${x.cmd} ${x.type} ${x.ifName}`);
    assert.deepEqual(adds.filter((a) => !a.includes('loopback')), ['ADD first eth0', 'ADD second eth0']);
    assert.deepEqual(adds.filter((a) => a.includes('loopback')), ['ADD loopback lo']);
    // The call log's order between the two lists is the race's: each call is found by its plugin.
    const by = (type: string): (typeof c)[number] => c.find((x) => x.type === type) as (typeof c)[number];
    assert.equal(by('loopback').conf.name, 'cni-loopback');
    assert.equal(by('loopback').conf.cniVersion, '0.3.1');
    assert.ok(c.every((x) => x.netns === pod.netns && x.args === 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sandbox1;K8S_POD_UID=u1'));
    assert.equal(by('first').path, `${join(root, 'nobin')}:${join(root, 'bin')}`);
    assert.equal(by('first').conf.prevResult, undefined);
    assert.equal(by('first').conf.runtimeConfig, undefined, 'first asks for no capability');
    assert.deepEqual((by('second').conf.prevResult as { ips: unknown }).ips, [{ address: '10.9.0.5/24', interface: 0 }]);
    assert.deepEqual(by('second').conf.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], dns: { servers: ['10.96.0.10'], searches: [], options: [] } });
    assert.deepEqual((await readdir(join(state, 'results'))).sort(), ['cni-loopback-sandbox1-lo', 'podnet-sandbox1-eth0']);
  });

  it('tears down in reverse with the cached result and port mappings, loopback last, even after the config changed', async () => {
    await writeFile(log, '');
    await writeFile(join(conf, '10-pod.conflist'), list({ type: 'first', addr: '10.9.0.5/24', changed: true }));
    await net.tearDown({ ...pod, portMappings: [] });
    const c = await calls();
    assert.deepEqual(c.map((x) => `${x.cmd} ${x.type} ${x.ifName}`), ['DEL second eth0', 'DEL first eth0', 'DEL loopback lo']);
    assert.deepEqual((c[0]!.conf.prevResult as { ips: unknown }).ips, [{ address: '10.9.0.5/24', interface: 0 }]);
    assert.deepEqual((c[0]!.conf.runtimeConfig as { portMappings: unknown }).portMappings, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.equal(c[1]!.conf.changed, undefined, 'the ADD\'s config, not the one of now');
    assert.equal(c[2]!.conf.prevResult, undefined, 'spec 0.3.1 gets no prevResult on DEL');
    assert.deepEqual(await readdir(join(state, 'results')), []);

    // Again, with nothing cached: DEL of the network of now, with an empty CNI_NETNS once the namespace is gone.
    await writeFile(log, '');
    await rm(pod.netns);
    await net.tearDown(pod);
    assert.deepEqual((await calls()).map((x) => `${x.cmd} ${x.type} ${x.ifName} "${x.netns}"`), ['DEL first eth0 ""']);
    await writeFile(pod.netns, '');
  });

  it('undoes what ran when a plugin refuses ADD, and says which plugin and why', async () => {
    await writeFile(join(conf, '10-pod.conflist'), list({ type: 'first', addr: '10.9.0.6/24' }, { type: 'second', fail: true }));
    await writeFile(log, '');
    await assert.rejects(net.setUp(pod), (err: unknown) => err instanceof CniPluginError && err.plugin === 'second' && err.code === 11 && err.kind === 'unavailable' && /failed to ADD pod default\/web \(sandbox sandbox1\): not now \(CNI error 11: try again later\)/.test(err.message));
    const seen = (await calls()).map((x) => `${x.cmd} ${x.type} ${x.ifName}`);
    assert.deepEqual(seen.slice(0, 3).sort(), ['ADD first eth0', 'ADD loopback lo', 'ADD second eth0']);
    assert.deepEqual(seen.slice(3), ['DEL second eth0', 'DEL first eth0', 'DEL loopback lo']);
    assert.deepEqual(await readdir(join(state, 'results')), []);
  });
});
