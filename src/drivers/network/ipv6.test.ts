import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam } from './ipam.js';
import { bigToIp6, contains6, formatCidr6, ip6ToBig, overlaps6, parseCidr6 } from './ipv6.js';

describe('ipv6', () => {
  it('reads every text form and writes the RFC 5952 one', () => {
    for (const [text, canonical] of [
      ['2001:389::1', '2001:389::1'],
      ['2001:0389:0000:0000:0000:0000:0000:f00d', '2001:389::f00d'],
      ['::', '::'],
      ['::1', '::1'],
      ['fd00:b3::', 'fd00:b3::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['::ffff:10.1.2.3', '::ffff:a01:203'],
      ['FD00::ABCD', 'fd00::abcd'],
    ] as const) assert.equal(bigToIp6(ip6ToBig(text)), canonical, text);
    assert.equal(ip6ToBig('::1'), 1n);
    assert.equal(ip6ToBig('8000::'), 1n << 127n);
    assert.throws(() => ip6ToBig('10.0.0.1'), /invalid IPv6 address/);
    assert.throws(() => ip6ToBig('1::2::3'), /invalid IPv6 address/);
  });

  it('parses prefixes, dropping host bits as dockerd keeps such a subnet', () => {
    assert.equal(formatCidr6(parseCidr6('2001:389::1/64')), '2001:389::/64');
    assert.equal(formatCidr6(parseCidr6('fd00:b3:1::/48')), 'fd00:b3:1::/48');
    for (const bad of ['2001:389::/129', '2001:389::', '2001:389::/x', '10.0.0.0/8', 'zz/64']) assert.throws(() => parseCidr6(bad), /invalid CIDR/, bad);
  });

  it('tells containment and overlap', () => {
    const s = parseCidr6('2001:389::/64');
    assert.ok(contains6(s, ip6ToBig('2001:389::f00d')));
    assert.ok(!contains6(s, ip6ToBig('2001:389:0:1::1')));
    assert.ok(overlaps6(s, parseCidr6('2001:389::/96')));
    assert.ok(overlaps6(parseCidr6('2001::/16'), s));
    assert.ok(!overlaps6(s, parseCidr6('2001:38a::/64')));
  });
});

describe('Ipam with IPv6 pools', () => {
  const v4 = { subnet: '10.9.0.0/24', gateway: '10.9.0.1' };
  const v6 = { subnet: '2001:389::1/64', gateway: '2001:389::ffff', ipRange: '2001:389::/96' };

  it('gives each owner one address per family, lowest free past the gateway, as asked, and persists them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-ipam6-'));
    try {
      const ipam = new Ipam(dir);
      await ipam.init();
      assert.equal(await ipam.allocate('n', v4, 'a'), '10.9.0.2');
      assert.equal(await ipam.allocate('n', v6, 'a'), '2001:389::1');
      assert.equal(await ipam.allocate('n', v6, 'a'), '2001:389::1', 'the lease is kept');
      assert.equal(await ipam.allocate('n', v4, 'a'), '10.9.0.2', 'the other family does not disturb it');
      // The default gateway (subnet's first host) is skipped.
      assert.equal(await ipam.allocate('n', { subnet: 'fd00:b3::/64', gateway: 'fd00:b3::1' }, 'b'), 'fd00:b3::2');
      assert.equal(await ipam.allocate('m', v6, 'c', '2001:0389::F00D'), '2001:389::f00d', 'kept in canonical form');
      await assert.rejects(ipam.allocate('m', v6, 'd', '2001:389::f00d'), /already in use/);
      await assert.rejects(ipam.allocate('m', v6, 'd', '2001:389::ffff'), /already in use/, 'the gateway');
      await assert.rejects(ipam.allocate('m', v6, 'd', '2001:38a::1'), /does not belong/);
      await assert.rejects(ipam.allocate('m', v6, 'd', '2001:389::'), /does not belong/, 'the subnet-router anycast address');
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'n.json'), 'utf8')).leases, { '10.9.0.2': 'a', '2001:389::1': 'a', 'fd00:b3::2': 'b' });
      const again = new Ipam(dir);
      assert.equal(await again.allocate('n', v6, 'a'), '2001:389::1', 'after a restart');
      assert.equal(again.leaseOf('n', 'a', true), '2001:389::1');
      assert.equal(again.leaseOf('n', 'a'), '10.9.0.2');
      await again.release('n', 'a');
      assert.equal(again.leaseOf('n', 'a', true), undefined);
      assert.equal(again.leaseOf('n', 'a'), undefined);
      assert.equal(await again.allocate('n', v6, 'e'), '2001:389::1', 'a released address is free again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
