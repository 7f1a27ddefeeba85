import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planPorts } from './published-ports.js';

describe('planPorts', () => {
  it('turns PortBindings into host bindings, ranges and random ports', () => {
    const plan = planPorts({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }], '81/tcp': [{ HostIp: '0.0.0.0', HostPort: '9000-9010' }], '82/tcp': [{ HostIp: '::', HostPort: '1' }], '83/udp': [{ HostIp: '[::1]', HostPort: '53' }] }, {}, false);
    assert.deepEqual(plan, [
      { key: '80/tcp', proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostRange: [8080, 8080] },
      { key: '53/udp', proto: 'udp', containerPort: 53, hostIp: '', hostRange: [0, 0] },
      { key: '81/tcp', proto: 'tcp', containerPort: 81, hostIp: '', hostRange: [9000, 9010] },
      // IPv6 host addresses (brackets dropped): served by DNAT or berthd's proxy.
      { key: '82/tcp', proto: 'tcp', containerPort: 82, hostIp: '::', hostRange: [1, 1] },
      { key: '83/udp', proto: 'udp', containerPort: 83, hostIp: '::1', hostRange: [53, 53] },
    ]);
  });

  it('-P publishes exposed ports not bound already', () => {
    const plan = planPorts({ '80/tcp': [{ HostPort: '8080' }] }, { '80/tcp': {}, '443/tcp': {}, '7/sctp': {} }, true);
    assert.deepEqual(plan.map((p) => `${p.key}:${p.hostRange.join('-')}`), ['80/tcp:8080-8080', '443/tcp:0-0', '7/sctp:0-0']);
  });

  it('refuses malformed bindings', () => {
    assert.throws(() => planPorts({ 'abc/tcp': [] }, {}, false), /invalid port specification/);
    assert.throws(() => planPorts({ '80/tcp': [{ HostPort: '70000' }] }, {}, false), /invalid host port/);
    assert.throws(() => planPorts({ '80/tcp': [{ HostIp: 'nope', HostPort: '1' }] }, {}, false), /invalid host IP/);
  });
});
