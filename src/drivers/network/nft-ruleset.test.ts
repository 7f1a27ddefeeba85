import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderRuleset } from './nft-ruleset.js';

describe('renderRuleset', () => {
  const nets = [
    { bridge: 'berth0', subnet: '10.1.0.0/24', internal: false, masquerade: true },
    { bridge: 'br-a', subnet: '10.2.0.0/24', internal: true, masquerade: true },
  ];
  const ports = [
    { proto: 'tcp' as const, hostIp: '', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80 },
    { proto: 'udp' as const, hostIp: '127.0.0.1', hostPort: 5353, containerIp: '10.1.0.2', containerPort: 53 },
  ];
  const text = renderRuleset('berth_t', nets, ports);

  it('replaces only its own table, atomically', () => {
    assert.ok(text.startsWith('table ip berth_t\ndelete table ip berth_t\ntable ip berth_t {\n'));
    assert.ok(!/flush ruleset/.test(text));
  });

  it('publishes loopback-bound ports for the host only', () => {
    const published = /chain published \{([^}]*)\}/.exec(text)?.[1] ?? '';
    const local = /chain published_local \{([^}]*)\}/.exec(text)?.[1] ?? '';
    assert.match(published, /tcp dport 8080 dnat to 10\.1\.0\.2:80/);
    assert.doesNotMatch(published, /5353/);
    assert.match(local, /ip daddr 127\.0\.0\.1 udp dport 5353 dnat to 10\.1\.0\.2:53/);
    assert.match(text, /iifname \{ "berth0", "br-a" \} ip daddr 127\.0\.0\.0\/8 drop/);
  });

  it('masquerades outbound traffic of non-internal networks, isolates networks and internal ones', () => {
    assert.match(text, /oifname != "berth0" ip saddr 10\.1\.0\.0\/24 masquerade/);
    assert.doesNotMatch(text, /oifname != "br-a" ip saddr 10\.2\.0\.0\/24 masquerade/);
    assert.match(text, /iifname "br-a" oifname != "br-a" drop/);
    assert.match(text, /iifname "berth0" oifname \{ "br-a" \} drop/);
  });

  it('has no IPv6 rules without an IPv6 network, and deletes any it had', () => {
    assert.match(text, /table ip6 berth_t\ndelete table ip6 berth_t\n$/);
  });

  it('renders NAT66, IPv6 DNAT and the same isolation for IPv6 networks; never DNAT for ::1 or to an IPv4 container', () => {
    const six = renderRuleset('berth_t', [{ ...nets[0]!, subnet6: 'fd00:1::/64' }, nets[1]!], [
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80 },
      { proto: 'tcp', hostIp: '::', hostPort: 8080, containerIp: 'fd00:1::2', containerPort: 80 },
      { proto: 'tcp', hostIp: '::1', hostPort: 8081, containerIp: 'fd00:1::2', containerPort: 80 },
      { proto: 'tcp', hostIp: '::', hostPort: 8082, containerIp: '10.1.0.3', containerPort: 80 },
    ]);
    const v6 = six.slice(six.indexOf('table ip6 berth_t {'));
    const v4 = six.slice(0, six.indexOf('table ip6 berth_t'));
    assert.match(v6, /\n    tcp dport 8080 dnat to \[fd00:1::2\]:80\n/);
    assert.doesNotMatch(v6, /8081|8082/);
    assert.doesNotMatch(v4, /fd00|8081|8082/, 'the IPv4 table takes IPv4 bindings to IPv4 addresses only');
    assert.match(v6, /oifname != "berth0" ip6 saddr fd00:1::\/64 masquerade/);
    assert.match(v6, /ip6 daddr != ::1 fib daddr type local jump published/);
    assert.match(v6, /iifname "br-a" oifname != "br-a" drop/);
  });
});
