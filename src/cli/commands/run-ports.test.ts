import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpose, parsePublish } from './run-ports.js';

test('-p 80: exposed, bound to a random host port on every address', () => {
  assert.deepEqual(parsePublish(['80']), { exposed: { '80/tcp': {} }, bindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } });
});

test('-p 8080:80', () => {
  assert.deepEqual(parsePublish(['8080:80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
});

test('-p 127.0.0.1:8080:80 and 127.0.0.1::80', () => {
  assert.deepEqual(parsePublish(['127.0.0.1:8080:80']).bindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(parsePublish(['127.0.0.1::80']).bindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
});

test('-p [::1]:8080:80/udp: bracketed IPv6 and a protocol', () => {
  const p = parsePublish(['[::1]:8080:80/udp']);
  assert.deepEqual(p.exposed, { '80/udp': {} });
  assert.deepEqual(p.bindings, { '80/udp': [{ HostIp: '::1', HostPort: '8080' }] });
});

test('-p 53:53/udp -p 53:53/tcp: one binding per protocol; repeated ports collect', () => {
  const p = parsePublish(['53:53/udp', '53:53', '0.0.0.0:54:53']);
  assert.deepEqual(Object.keys(p.exposed).sort(), ['53/tcp', '53/udp']);
  assert.deepEqual(p.bindings['53/tcp'], [{ HostIp: '', HostPort: '53' }, { HostIp: '0.0.0.0', HostPort: '54' }]);
});

test('ranges of equal length map port to port', () => {
  const p = parsePublish(['8000-8002:80-82']);
  assert.deepEqual(p.bindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8000' }],
    '81/tcp': [{ HostIp: '', HostPort: '8001' }],
    '82/tcp': [{ HostIp: '', HostPort: '8002' }],
  });
});

test('a host range with one container port lets the daemon pick within it', () => {
  assert.deepEqual(parsePublish(['8000-8010:80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] });
});

test('a container range without host ports exposes each port', () => {
  assert.deepEqual(Object.keys(parsePublish(['7000-7002']).exposed), ['7000/tcp', '7001/tcp', '7002/tcp']);
});

test('the long syntax published=,target=,protocol=', () => {
  assert.deepEqual(parsePublish(['published=8080,target=80,protocol=udp']).bindings, { '80/udp': [{ HostIp: '', HostPort: '8080' }] });
});

test('bad specs are refused with go-connections messages', () => {
  assert.throws(() => parsePublish(['8000-8002:80-81']), /invalid ranges specified for container and host Ports: 80-81 and 8000-8002/);
  assert.throws(() => parsePublish(['99999']), /invalid containerPort: 99999/);
  assert.throws(() => parsePublish(['abc:80']), /invalid hostPort: abc/);
  assert.throws(() => parsePublish(['300.1.1.1:80:80']), /invalid IP address: 300.1.1.1/);
  assert.throws(() => parsePublish(['80/icmp']), /invalid proto: icmp/);
  assert.throws(() => parsePublish(['8080:']), /no port specified: 8080:<empty>/);
  assert.throws(() => parsePublish(['90-80']), /invalid containerPort: 90-80/);
});

test('--expose: single ports, ranges, protocols', () => {
  assert.deepEqual(parseExpose(['80', '7000-7001/udp']), ['80/tcp', '7000/udp', '7001/udp']);
  assert.throws(() => parseExpose(['8080:80']), /invalid port format for --expose: 8080:80/);
  assert.throws(() => parseExpose(['x']), /invalid range format for --expose: x/);
});
