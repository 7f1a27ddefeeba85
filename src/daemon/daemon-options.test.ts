import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs } from './daemon-options.js';

const base = ['--config-file', '/dev/null'];

describe('daemon network flags', () => {
  it('defaults as dockerd: berth0, iptables and ip-forward on, MTU 1500', async () => {
    const o = await parseDaemonArgs(base);
    assert.deepEqual(o.network, { bridge: 'berth0', bip: undefined, fixedCidr: undefined, defaultAddressPools: [], iptables: true, ipForward: true, mtu: 1500 });
  });

  it('takes -b, --bip, --fixed-cidr, pools, --iptables=false, --no-ip-forward and --mtu', async () => {
    const o = await parseDaemonArgs([...base, '-b', 'bt1', '--bip', '10.3.0.1/24', '--fixed-cidr', '10.3.0.128/25', '--default-address-pool', 'base=10.4.0.0/16,size=24', '--iptables=false', '--no-ip-forward', '--mtu', '1400']);
    assert.deepEqual(o.network, { bridge: 'bt1', bip: '10.3.0.1/24', fixedCidr: '10.3.0.128/25', defaultAddressPools: ['base=10.4.0.0/16,size=24'], iptables: false, ipForward: false, mtu: 1400 });
  });

  it('refuses a bad bridge name or MTU', async () => {
    await assert.rejects(parseDaemonArgs([...base, '-b', 'a-name-far-too-long']), /invalid bridge name/);
    await assert.rejects(parseDaemonArgs([...base, '--mtu', '10']), /invalid --mtu/);
  });
});
