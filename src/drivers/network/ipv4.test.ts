import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contains, formatCidr, intToIp, ipToInt, overlaps, parseAddressPool, parseCidr, subnetsOf } from './ipv4.js';

describe('ipv4', () => {
  it('parses and formats prefixes, refusing host bits unless asked', () => {
    assert.equal(formatCidr(parseCidr('10.1.0.0/16')), '10.1.0.0/16');
    assert.throws(() => parseCidr('10.1.0.1/16'), /it should be 10\.1\.0\.0\/16/);
    assert.equal(formatCidr(parseCidr('10.1.0.1/16', { allowHost: true })), '10.1.0.0/16');
    for (const bad of ['10.1.0.0', '10.1.0.0/33', '300.1.0.0/8', 'x/8']) assert.throws(() => parseCidr(bad), /invalid CIDR/);
    assert.equal(intToIp(ipToInt('255.254.1.0')), '255.254.1.0');
  });

  it('contains, overlaps and walks pools', () => {
    assert.ok(contains(parseCidr('10.0.0.0/8'), ipToInt('10.200.3.4')));
    assert.ok(!contains(parseCidr('10.0.0.0/24'), ipToInt('10.0.1.0')));
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.9.0.0/16')));
    assert.ok(!overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24')));
    assert.deepEqual([...subnetsOf(parseCidr('172.16.0.0/14'), 16)].map(formatCidr), ['172.16.0.0/16', '172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16']);
    const pool = parseAddressPool('base=10.10.0.0/16,size=24');
    assert.equal(formatCidr(pool.base), '10.10.0.0/16');
    assert.equal(pool.size, 24);
    assert.throws(() => parseAddressPool('size=24'), /base=CIDR/);
    assert.throws(() => parseAddressPool('base=10.10.0.0/16,size=8'), /size/);
  });
});
