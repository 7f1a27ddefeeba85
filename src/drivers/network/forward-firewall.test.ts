import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseUfwRules, renderForwardChain, ufwVerdict } from './forward-firewall.js';

/** What `iptables-save -t filter` shows of ufw's rules (trimmed), as ufw 0.36 writes them. */
const SAVE = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:ufw-user-input - [0:0]
-A ufw-user-input -p tcp -m tcp --dport 8080 -j ACCEPT
-A ufw-user-input -p tcp -m tcp --dport 9090 -j DROP
-A ufw-user-input -p udp -m udp --dport 9090 -j DROP
-A ufw-user-input -s 10.9.0.0/16 -p tcp -m tcp --dport 7070 -j ACCEPT
-A ufw-user-input -p tcp -m tcp --dport 7070 -j REJECT --reject-with tcp-reset
-A ufw-user-input -s 10.8.0.0/16 -p tcp -m tcp --dport 6060 -j ACCEPT
-A ufw-user-input -p tcp -m multiport --dports 8000:8010,8500 -j ACCEPT
-A ufw-user-input -p tcp -m tcp --dport 2222 -j ufw-user-limit-accept
-A ufw-user-input -i eth1 -p tcp -m tcp --dport 5050 -j ACCEPT
-A ufw-user-input -p udp -m udp --dport 53 -j ACCEPT
COMMIT
`;

describe('ufw rules', () => {
  const u = parseUfwRules(SAVE);

  it('reads the rules in order and the default incoming policy', () => {
    assert.equal(u.rules.length, 9, 'the interface-only rule is left out');
    assert.equal(u.defaultAccept, false);
    assert.equal(parseUfwRules(SAVE.replace(':INPUT DROP', ':INPUT ACCEPT')).defaultAccept, true);
  });

  it('decides a port as ufw would for INPUT: first match, by protocol, port, range and source', () => {
    assert.deepEqual(ufwVerdict(u, 'tcp', 8080).allowed, 'any');
    assert.deepEqual(ufwVerdict(u, 'udp', 8080).allowed, 'none', 'allowed for tcp only');
    assert.match(ufwVerdict(u, 'tcp', 9090).reason, /ufw denies it/);
    assert.deepEqual(ufwVerdict(u, 'tcp', 7070).allowed, ['10.9.0.0/16'], 'allowed from a source, then rejected for the rest');
    assert.deepEqual(ufwVerdict(u, 'tcp', 6060).allowed, ['10.8.0.0/16'], 'allowed from a source, then the default');
    assert.deepEqual(ufwVerdict(u, 'tcp', 8005).allowed, 'any', 'inside a multiport range');
    assert.deepEqual(ufwVerdict(u, 'tcp', 8500).allowed, 'any', 'a listed port');
    assert.deepEqual(ufwVerdict(u, 'tcp', 2222).allowed, 'any', 'a limit rule allows');
    assert.deepEqual(ufwVerdict(u, 'tcp', 5050).allowed, 'none', 'a rule for one interface says nothing of the others');
    assert.match(ufwVerdict(u, 'tcp', 1234).reason, /no rule allowing 1234\/tcp/);
  });
});

describe('Berth\'s FORWARD chain', () => {
  it('lets containers out and replies in, and each open port through, from its sources only', () => {
    const text = renderForwardChain(
      'BERTH-FWD',
      [{ name: 'berth0', internal: false, masquerade: true }, { name: 'br-int', internal: true, masquerade: true }],
      [
        { proto: 'tcp', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80, sources: 'any' },
        { proto: 'udp', hostPort: 5353, containerIp: '10.1.0.3', containerPort: 53, sources: ['10.9.0.0/16', '192.0.2.0/24'] },
      ],
    );
    const lines = text.split('\n');
    assert.equal(lines[0], '*filter');
    assert.equal(lines[1], ':BERTH-FWD - [0:0]', 'declaring the chain replaces its rules under --noflush');
    assert.ok(lines.includes('-A BERTH-FWD -i berth0 ! -o berth0 -j ACCEPT'));
    assert.ok(!lines.includes('-A BERTH-FWD -i br-int ! -o br-int -j ACCEPT'), 'an internal network does not get out');
    assert.ok(lines.includes('-A BERTH-FWD -o br-int -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
    assert.ok(lines.includes('-A BERTH-FWD -d 10.1.0.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT --ctorigdstport 8080 -j ACCEPT'));
    assert.equal(lines.filter((l) => l.includes('--ctorigdstport 5353')).length, 2);
    assert.ok(lines.includes('-A BERTH-FWD -s 192.0.2.0/24 -d 10.1.0.3/32 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT --ctorigdstport 5353 -j ACCEPT'));
    assert.equal(lines.at(-2), 'COMMIT');
  });
});
