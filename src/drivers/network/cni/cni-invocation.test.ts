import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfList } from './cni-config.js';
import { pluginEnv, pluginStdin, podCapabilityArgs, podCniArgs, portMappingsCapability, validateRuntimeConf, type CniRuntimeConf } from './cni-invocation.js';

const list = parseConfList(JSON.stringify({
  cniVersion: '1.0.0',
  name: 'berth-cni',
  plugins: [
    { type: 'bridge', cniVersion: '0.3.1', name: 'ignored', bridge: 'cni0' },
    { type: 'portmap', capabilities: { portMappings: true, dns: false } },
  ],
}), 'f');

const pod = { podId: 'abc123', podName: 'web', podNamespace: 'default', podUid: 'uid-1' };
const rt: CniRuntimeConf = {
  containerId: 'abc123',
  netns: '/run/netns/x',
  ifName: 'eth0',
  args: podCniArgs(pod),
  capabilityArgs: podCapabilityArgs([{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }], { servers: ['10.0.0.10'], searches: ['svc.local'] }),
};

describe('CNI plugin invocation', () => {
  it('sets the CNI variables over the daemon environment, CNI_ARGS as containerd sends them for a pod', () => {
    const env = pluginEnv('ADD', rt, ['/opt/cni/bin', '/usr/lib/cni'], { PATH: '/usr/bin', CNI_COMMAND: 'stale', HOME: '/root' });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/root',
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'abc123',
      CNI_NETNS: '/run/netns/x',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=uid-1',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    });
  });

  it('gives each plugin the network name and version, the previous result, and only the capabilities it asks for', () => {
    const first = JSON.parse(pluginStdin(list, list.plugins[0]!, undefined, rt)) as Record<string, unknown>;
    assert.deepEqual(first, { type: 'bridge', cniVersion: '1.0.0', name: 'berth-cni', bridge: 'cni0' });
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.88.0.2/16' }] };
    const second = JSON.parse(pluginStdin(list, list.plugins[1]!, prev, rt)) as Record<string, unknown>;
    assert.deepEqual(second, {
      type: 'portmap',
      capabilities: { portMappings: true, dns: false },
      name: 'berth-cni',
      cniVersion: '1.0.0',
      prevResult: prev,
      runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
    });
  });

  it('maps CRI port mappings as containerd does: host port only, lower-case protocol, hostIP when set', () => {
    assert.deepEqual(portMappingsCapability([
      { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
      { protocol: 0, containerPort: 80, hostPort: 0 },
      { protocol: 2, containerPort: 9, hostPort: 9 },
    ]), [
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
      { hostPort: 9, containerPort: 9, protocol: 'sctp' },
    ]);
    assert.throws(() => portMappingsCapability([{ protocol: 'icmp', containerPort: 1, hostPort: 1 }]), /use TCP, UDP or SCTP/);
    assert.deepEqual(podCapabilityArgs([], undefined), { portMappings: [] });
    assert.deepEqual(podCapabilityArgs([], { servers: ['1.1.1.1'] }).dns, { servers: ['1.1.1.1'], searches: [], options: [] });
    assert.deepEqual(podCapabilityArgs([], { servers: [], searches: [], options: [] }, '/kubepods/pod1'), { portMappings: [], cgroupPath: '/kubepods/pod1' });
    assert.deepEqual(podCapabilityArgs([], undefined, undefined, { bandwidth: { ingressRate: 1 } }), { portMappings: [], bandwidth: { ingressRate: 1 } });
  });

  it('checks the sandbox ID and interface name as libcni does', () => {
    validateRuntimeConf(rt);
    assert.throws(() => validateRuntimeConf({ ...rt, containerId: '-x' }), /invalid pod sandbox ID/);
    assert.throws(() => validateRuntimeConf({ ...rt, ifName: 'a-very-long-ifname0' }), /invalid interface name/);
    assert.throws(() => validateRuntimeConf({ ...rt, ifName: 'eth:0' }), /invalid interface name/);
  });
});
