import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { EmbeddedDns } from './embedded-dns.js';
import { silentLogger } from '../../core/logger.js';

const rcode = (p: dnsPacket.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;

const query = (name: string, type: 'A' | 'AAAA'): Buffer => dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });

describe('EmbeddedDns.answer', () => {
  const dns = new EmbeddedDns((net, name) => (net === 'n1' && name === 'web' ? ['10.0.0.5'] : []), () => [], silentLogger());
  // Port 53 of 127.0.0.1 is not ours to use in a unit test; forwarding is tested in user-networks.

  it('answers names of its network with A records, and AAAA with an empty NOERROR', async () => {
    const a = dnsPacket.decode((await dns.answer('n1', query('Web.', 'A'))) as Buffer);
    assert.equal(a.id, 7);
    assert.equal(rcode(a), 'NOERROR');
    assert.deepEqual(a.answers?.map((x) => (x as { data: string }).data), ['10.0.0.5']);
    const aaaa = dnsPacket.decode((await dns.answer('n1', query('web', 'AAAA'))) as Buffer);
    assert.equal(rcode(aaaa), 'NOERROR');
    assert.equal(aaaa.answers?.length, 0);
  });

  it('answers AAAA with the IPv6 addresses of a name on an IPv6 network, and A with only the IPv4 ones', async () => {
    const dual = new EmbeddedDns((_net, name) => (name === 'db' ? ['10.0.0.6', 'fd00:b3::6'] : []), () => [], silentLogger());
    const aaaa = dnsPacket.decode((await dual.answer('n1', query('db', 'AAAA'))) as Buffer);
    assert.deepEqual(aaaa.answers?.map((x) => [x.type, (x as { data: string }).data]), [['AAAA', 'fd00:b3::6']]);
    const a = dnsPacket.decode((await dual.answer('n1', query('db', 'A'))) as Buffer);
    assert.deepEqual(a.answers?.map((x) => [x.type, (x as { data: string }).data]), [['A', '10.0.0.6']]);
  });

  it('does not answer for another network; with no upstream it says SERVFAIL', async () => {
    const r = dnsPacket.decode((await dns.answer('n2', query('web', 'A'))) as Buffer);
    assert.equal(rcode(r), 'SERVFAIL');
    assert.equal(await dns.answer('n1', Buffer.from('junk')), undefined);
  });
});
