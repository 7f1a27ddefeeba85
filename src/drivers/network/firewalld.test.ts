import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firewalldVerdict, parsePolicy, parseService, parseZones, renderZoneTable, zoneDecision, type FirewalldState } from './firewalld.js';

/** What firewalld 1.3.3's `firewall-cmd --list-all-zones` printed (some zones, trimmed), with runtime changes. */
const ZONES = `berth (active)
  target: ACCEPT
  icmp-block-inversion: no
  interfaces: berth0 br-1234
  sources: 
  services: 
  ports: 
  protocols: 
  forward: no
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 

block
  target: %%REJECT%%
  icmp-block-inversion: no
  interfaces: 
  sources: 
  services: 
  ports: 
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 

drop
  target: DROP
  icmp-block-inversion: no
  interfaces: eth2
  sources: 
  services: 
  ports: 
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 

internal (active)
  target: default
  icmp-block-inversion: no
  interfaces: 
  sources: 10.9.0.0/16
  services: dhcpv6-client mdns samba-client ssh http
  ports: 
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 

public
  target: default
  icmp-block-inversion: no
  interfaces: 
  sources: 
  services: dhcpv6-client ssh
  ports: 8080/tcp 9000-9100/udp
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 
	rule family="ipv4" port port="7070" protocol="tcp" accept
	rule family="ipv4" source address="10.1.0.0/16" port port="6060" protocol="tcp" accept

trusted (active)
  target: ACCEPT
  icmp-block-inversion: no
  interfaces: eth1
  sources: 
  services: 
  ports: 
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 
`;

const service = (name: string, ports: string, destination = ''): string => `${name}\n  ports: ${ports}\n  protocols: \n  source-ports: \n  modules: \n  destination: ${destination}\n  includes: \n  helpers: \n`;

function state(links: string[], zonesText = ZONES): FirewalldState {
  return {
    defaultZone: 'public',
    zones: parseZones(zonesText),
    services: new Map([
      ['ssh', parseService(service('ssh', '22/tcp'))],
      ['http', parseService(service('http', '80/tcp'))],
      ['dhcpv6-client', parseService(service('dhcpv6-client', '546/udp', 'ipv6:fe80::/64'))],
      ['mdns', parseService(service('mdns', '5353/udp', 'ipv4:224.0.0.251 ipv6:ff02::fb'))],
    ]),
    policies: ['berth-forwarding'],
    links,
  };
}

describe('firewall-cmd output', () => {
  it('reads each zone: target, bindings, services, ports and ranges, rich rules', () => {
    const zones = parseZones(ZONES);
    assert.deepEqual(zones.map((z) => z.name), ['berth', 'block', 'drop', 'internal', 'public', 'trusted']);
    const pub = zones.find((z) => z.name === 'public');
    assert.deepEqual(pub?.ports, [{ proto: 'tcp', lo: 8080, hi: 8080 }, { proto: 'udp', lo: 9000, hi: 9100 }]);
    assert.deepEqual(pub?.services, ['dhcpv6-client', 'ssh']);
    assert.equal(pub?.richRules.length, 2);
    assert.deepEqual(zones.find((z) => z.name === 'berth')?.interfaces, ['berth0', 'br-1234']);
    assert.deepEqual(zones.find((z) => z.name === 'internal')?.sources, ['10.9.0.0/16']);
    assert.equal(zones.find((z) => z.name === 'block')?.target, '%%REJECT%%');
  });

  it('reads a service, and knows one limited to IPv6 destinations', () => {
    assert.deepEqual(parseService(service('http', '80/tcp 8000-8010/tcp')).ports, [{ proto: 'tcp', lo: 80, hi: 80 }, { proto: 'tcp', lo: 8000, hi: 8010 }]);
    assert.equal(parseService(service('dhcpv6-client', '546/udp', 'ipv6:fe80::/64')).ipv6Only, true);
    assert.equal(parseService(service('mdns', '5353/udp', 'ipv4:224.0.0.251 ipv6:ff02::fb')).ipv6Only, false);
  });

  it('reads a policy', () => {
    const text = 'berth-forwarding (active)\n  priority: -1\n  target: ACCEPT\n  ingress-zones: berth\n  egress-zones: ANY\n  services: \n';
    assert.deepEqual(parsePolicy(text), { target: 'ACCEPT', ingress: ['berth'], egress: ['ANY'] });
    assert.deepEqual(parsePolicy('berth-forwarding\n  priority: -1\n  target: CONTINUE\n  ingress-zones: \n  egress-zones: \n'), { target: 'CONTINUE', ingress: [], egress: [] });
  });
});

describe('a zone and a port', () => {
  const st = state([]);
  const zone = (name: string) => st.zones.find((z) => z.name === name) as FirewalldState['zones'][number];

  it('lets it in as firewalld does for the host: target ACCEPT, a port or range, a service, a plain rich rule', () => {
    assert.equal(zoneDecision(zone('trusted'), st.services, 'tcp', 8080, 'UNBIND').why, 'its target is ACCEPT');
    assert.equal(zoneDecision(zone('trusted'), st.services, 'tcp', 8080, 'UNBIND').fix, 'UNBIND', 'the caller knows how it is bound');
    assert.equal(zoneDecision(zone('public'), st.services, 'tcp', 8080, '').fix, 'firewall-cmd --zone=public --remove-port=8080/tcp');
    assert.equal(zoneDecision(zone('public'), st.services, 'udp', 9050, '').why, 'it allows port 9000-9100/udp');
    assert.equal(zoneDecision(zone('public'), st.services, 'tcp', 22, '').fix, 'firewall-cmd --zone=public --remove-service=ssh');
    assert.equal(zoneDecision(zone('public'), st.services, 'tcp', 7070, '').allowed, true, 'a rich rule for everyone');
  });

  it('keeps it out otherwise, saying how to open it, refused as the zone refuses', () => {
    const no = zoneDecision(zone('public'), st.services, 'tcp', 8081, '');
    assert.deepEqual([no.allowed, no.fix, no.refuse], [false, 'firewall-cmd --zone=public --add-port=8081/tcp', 'reject']);
    assert.equal(zoneDecision(zone('public'), st.services, 'udp', 8080, '').allowed, false, 'tcp only');
    assert.equal(zoneDecision(zone('public'), st.services, 'tcp', 6060, '').allowed, false, 'a rich rule for one source is not read as open');
    assert.equal(zoneDecision(zone('public'), st.services, 'udp', 546, '').allowed, false, 'dhcpv6-client is for IPv6 only');
    assert.equal(zoneDecision(zone('drop'), st.services, 'tcp', 8080, '').refuse, 'drop');
    assert.match(zoneDecision(zone('block'), st.services, 'tcp', 8080, '').why, /its target is REJECT/);
  });
});

describe('where a published port is reached from', () => {
  const noSources = ZONES.replace('sources: 10.9.0.0/16', 'sources: ');

  it('the default zone catches interfaces in no zone', () => {
    const v = firewalldVerdict(state(['eth0', 'berth0'], noSources), ['berth0'], 'tcp', 8081);
    assert.equal(v.allowed, 'none');
    assert.equal(v.reason, 'firewalld: eth0 is in zone public (the default zone), and it does not allow 8081/tcp');
    assert.equal(v.fix, 'firewall-cmd --zone=public --add-port=8081/tcp');
    const open = firewalldVerdict(state(['eth0', 'berth0'], noSources), ['berth0'], 'tcp', 8080);
    assert.equal(open.allowed, 'any');
    assert.equal(open.fix, 'firewall-cmd --zone=public --remove-port=8080/tcp');
  });

  it("an interface in trusted: open from it; Berth's own bridges are not other hosts", () => {
    const v = firewalldVerdict(state(['eth1', 'berth0', 'br-1234'], noSources), ['berth0', 'br-1234'], 'tcp', 8081);
    assert.equal(v.allowed, 'any');
    assert.equal(v.reason, 'firewalld: eth1 is in zone trusted, and its target is ACCEPT');
  });

  it('an ACCEPT default zone: open, and the fix puts public back', () => {
    const v = firewalldVerdict({ ...state(['eth0'], noSources), defaultZone: 'trusted' }, [], 'tcp', 8081);
    assert.equal(v.allowed, 'any');
    assert.equal(v.reason, 'firewalld: eth0 is in zone trusted (the default zone), and its target is ACCEPT');
    assert.equal(v.fix, 'firewall-cmd --set-default-zone=public');
  });

  it('a source bound to a zone that refuses the port keeps it from being open to all', () => {
    const v = firewalldVerdict(state(['eth1']), [], 'tcp', 8081);
    assert.deepEqual(v.allowed, ['eth1 (zone trusted)']);
    assert.equal(v.reason, 'firewalld: eth1 is in zone trusted, and its target is ACCEPT; but source 10.9.0.0/16 is in zone internal, and it does not allow 8081/tcp');
    assert.equal(v.fix, 'firewall-cmd --zone=internal --add-port=8081/tcp');
  });

  it('partly: some interfaces and sources only, with the fix for the first that refuses', () => {
    const v = firewalldVerdict(state(['eth0', 'eth1', 'eth2']), [], 'tcp', 80);
    assert.deepEqual(v.allowed, ['10.9.0.0/16 (zone internal)', 'eth1 (zone trusted)']);
    assert.equal(v.reason, 'firewalld: eth1 is in zone trusted, and its target is ACCEPT; source 10.9.0.0/16 is in zone internal, and it allows service http; but eth0 is in zone public (the default zone), and it does not allow 80/tcp; eth2 is in zone drop, and it does not allow 80/tcp, and its target is DROP');
    assert.equal(v.fix, 'firewall-cmd --zone=public --add-port=80/tcp');
  });

  it('rules in firewalld order: sources, then bound interfaces, then everything else by the default zone', () => {
    const v = firewalldVerdict(state(['eth0', 'eth1', 'eth2', 'berth0']), ['berth0'], 'tcp', 80);
    assert.deepEqual(v.matches, [
      { source: '10.9.0.0/16', verdict: 'accept' },
      { iface: 'berth0', verdict: 'accept' },
      { iface: 'br-1234', verdict: 'accept' },
      { iface: 'eth2', verdict: 'drop' },
      { iface: 'eth1', verdict: 'accept' },
      { verdict: 'reject' },
    ]);
  });

  it('renders the zone table: each match a rule on the DNAT-ed connection to the container', () => {
    const table = renderZoneTable('berth_zones', [{ proto: 'tcp', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80, matches: [{ iface: 'eth1', verdict: 'accept' }, { source: '10.9.0.0/16', verdict: 'drop' }, { verdict: 'reject' }] }]);
    assert.equal(
      table,
      [
        'table ip berth_zones',
        'delete table ip berth_zones',
        'table ip berth_zones {',
        '  chain forward {',
        '    type filter hook forward priority 0; policy accept;',
        '    ct status dnat ip daddr 172.18.0.2 tcp dport 80 ct original proto-dst 8080 iifname "eth1" accept',
        '    ct status dnat ip daddr 172.18.0.2 tcp dport 80 ct original proto-dst 8080 ip saddr 10.9.0.0/16 drop',
        '    ct status dnat ip daddr 172.18.0.2 tcp dport 80 ct original proto-dst 8080 reject with icmp type admin-prohibited',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });
});
