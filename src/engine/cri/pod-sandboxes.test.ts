import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodSandboxes, type SandboxRecord } from './pod-sandboxes.js';
import { LoopbackPodNetwork } from './pod-network.js';
import { silentLogger } from '../../core/logger.js';

const sandboxes = new PodSandboxes({
  dataRoot: '/nonexistent',
  execRoot: '/nonexistent',
  cgroupParent: '/berth',
  runtime: () => {
    throw new Error('no runtime in this test');
  },
  network: new LoopbackPodNetwork(),
  log: silentLogger(),
});

describe('what a pod network is told', () => {
  it('names the pod, its namespace, ports (TCP by default) and DNS config', () => {
    const record: SandboxRecord = {
      id: 'abc',
      metadata: { name: 'web', uid: 'u1', namespace: 'prod', attempt: 1 },
      createdAt: '0',
      state: 'SANDBOX_READY',
      config: {
        metadata: { name: 'web', uid: 'u1', namespace: 'prod', attempt: 1 },
        port_mappings: [{ container_port: 80, host_port: 8080, host_ip: '127.0.0.1' }, { protocol: 'UDP', container_port: 53 }],
        dns_config: { servers: ['10.232.0.10'], searches: ['prod.svc'], options: [] },
      },
      runtimeHandler: '',
      cgroupParent: '/kubepods/podu1',
      netns: '/run/berth/cri/netns/abc',
      ips: [],
      sharePid: false,
      hostNetwork: false,
    };
    assert.deepEqual(sandboxes.networkRequest(record), {
      podId: 'abc',
      netns: '/run/berth/cri/netns/abc',
      podName: 'web',
      podNamespace: 'prod',
      podUid: 'u1',
      portMappings: [
        { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' },
        { protocol: 'UDP', containerPort: 53, hostPort: 0, hostIp: '' },
      ],
      dns: { servers: ['10.232.0.10'], searches: ['prod.svc'], options: [] },
      cgroupParent: '/kubepods/podu1',
    });
  });

  it('without CNI: NetworkReady false, as containerd says it', () => {
    assert.deepEqual({ ...new LoopbackPodNetwork().status(), message: '' }, { ready: false, reason: 'NetworkPluginNotReady', message: '' });
  });
});
