import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr6 } from '../../drivers/network/ipv6.js';
import { checkIpv6Routes, pickUla64 } from './network-pools.js';

describe('pickUla64', () => {
  const fixed = (...bytes: number[][]): ((n: number) => Buffer) => {
    let i = 0;
    return () => Buffer.from(bytes[i++] ?? [0, 0, 0, 0, 0]);
  };

  it('makes fd + 40 random bits + subnet 0, with the first host as gateway (RFC 4193)', () => {
    assert.deepEqual(pickUla64([], [], new Set(), fixed([0x12, 0x34, 0x56, 0x78, 0x9a])), { Subnet: 'fd12:3456:789a::/64', Gateway: 'fd12:3456:789a::1' });
  });

  it('draws again past a prefix a network or a host route holds', () => {
    const taken = [parseCidr6('fd12:3456:789a::/48')];
    const routes = [{ dst: 'fd00:1:2::/48', dev: 'wg0' }];
    const pick = pickUla64(taken, routes, new Set(), fixed([0x12, 0x34, 0x56, 0x78, 0x9a], [0x00, 0x00, 0x01, 0x00, 0x02], [0xab, 0xcd, 0xef, 0x01, 0x23]));
    assert.equal(pick.Subnet, 'fdab:cdef:123::/64');
  });

  it('ignores the routes of its own bridges', () => {
    const routes = [{ dst: 'fd12:3456:789a::/64', dev: 'berth0' }];
    assert.equal(pickUla64([], routes, new Set(['berth0']), fixed([0x12, 0x34, 0x56, 0x78, 0x9a])).Subnet, 'fd12:3456:789a::/64');
  });
});

describe('checkIpv6Routes', () => {
  it('refuses a subnet a host route covers, naming the route', () => {
    assert.throws(() => checkIpv6Routes(parseCidr6('fd00::/64'), [{ dst: 'fd00::/64', dev: 'eth0' }], new Set()), /overlaps the host route fd00::\/64 via eth0/);
    assert.doesNotThrow(() => checkIpv6Routes(parseCidr6('fd00:1::/64'), [{ dst: 'fd00::/64', dev: 'eth0' }], new Set()));
  });
});
