import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaemonArgs } from './daemon-options.js';

const base = ['--config-file', '/dev/null'];

describe('daemon network flags', () => {
  it('defaults as dockerd: berth0, iptables and ip-forward on, MTU 1500', async () => {
    const o = await parseDaemonArgs(base);
    assert.deepEqual(o.network, { bridge: 'berth0', bip: undefined, fixedCidr: undefined, ipv6: false, fixedCidrV6: undefined, defaultAddressPools: [], iptables: true, ipForward: true, mtu: 1500, firewallMode: 'berth' });
  });

  it('takes -b, --bip, --fixed-cidr, --ipv6, --fixed-cidr-v6, pools, --iptables=false, --no-ip-forward and --mtu', async () => {
    const o = await parseDaemonArgs([...base, '-b', 'bt1', '--bip', '10.3.0.1/24', '--fixed-cidr', '10.3.0.128/25', '--ipv6=true', '--fixed-cidr-v6', 'fd00:1::/64', '--default-address-pool', 'base=10.4.0.0/16,size=24', '--iptables=false', '--no-ip-forward', '--mtu', '1400', '--firewall-mode', 'docker']);
    assert.deepEqual(o.network, { bridge: 'bt1', bip: '10.3.0.1/24', fixedCidr: '10.3.0.128/25', ipv6: true, fixedCidrV6: 'fd00:1::/64', defaultAddressPools: ['base=10.4.0.0/16,size=24'], iptables: false, ipForward: false, mtu: 1400, firewallMode: 'docker' });
  });

  it('refuses a bad bridge name or MTU', async () => {
    await assert.rejects(parseDaemonArgs([...base, '-b', 'a-name-far-too-long']), /invalid bridge name/);
    await assert.rejects(parseDaemonArgs([...base, '--mtu', '10']), /invalid --mtu/);
    await assert.rejects(parseDaemonArgs([...base, '--firewall-mode', 'open']), /invalid --firewall-mode "open": use berth/);
  });
});

describe('daemon log options', () => {
  it('default to bounded json-file logs', async () => {
    assert.deepEqual((await parseDaemonArgs(base)).logOpts, { 'max-size': '20m', 'max-file': '5', compress: 'true' });
  });

  it('take repeated --log-opt over the built-in defaults', async () => {
    const o = await parseDaemonArgs([...base, '--log-opt', 'max-size=100k', '--log-opt', 'max-file=2']);
    assert.deepEqual(o.logOpts, { 'max-size': '100k', 'max-file': '2', compress: 'true' });
    assert.deepEqual((await parseDaemonArgs([...base, '--log-opt', 'max-size=-1'])).logOpts, {});
  });

  it('take daemon.json log-opts, which --log-opt replaces as a whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logopts-'));
    try {
      const file = join(dir, 'daemon.json');
      await writeFile(file, JSON.stringify({ 'log-opts': { 'max-size': '1m', compress: 'false' } }));
      assert.deepEqual((await parseDaemonArgs(['--config-file', file])).logOpts, { 'max-size': '1m', 'max-file': '5', compress: 'false' });
      assert.deepEqual((await parseDaemonArgs(['--config-file', file, '--log-opt', 'max-file=2'])).logOpts, { 'max-size': '20m', 'max-file': '2', compress: 'true' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuse a --log-opt without = or with an unknown key', async () => {
    await assert.rejects(parseDaemonArgs([...base, '--log-opt', 'max-size']), /invalid --log-opt "max-size"/);
    await assert.rejects(parseDaemonArgs([...base, '--log-opt', 'colour=red']), /unknown log opt 'colour'/);
  });
});

describe('daemon storage budget', () => {
  it('is off unless set', async () => {
    assert.equal((await parseDaemonArgs(base)).storageBudget, undefined);
  });

  it('comes from daemon.json or --storage-budget (the flag wins), checked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-budget-'));
    try {
      const file = join(dir, 'daemon.json');
      await writeFile(file, JSON.stringify({ 'storage-budget': { high: '80%', low: '70%' } }));
      assert.deepEqual((await parseDaemonArgs(['--config-file', file])).storageBudget, { high: { percent: 80 }, low: { percent: 70 }, graceMs: 600_000 });
      assert.deepEqual((await parseDaemonArgs(['--config-file', file, '--storage-budget', 'high=20GB,low=15GB,grace=1m'])).storageBudget, { high: { bytes: 20e9 }, low: { bytes: 15e9 }, graceMs: 60_000 });
      await writeFile(file, JSON.stringify({ 'storage-budget': { high: '70%', low: '80%' } }));
      await assert.rejects(parseDaemonArgs(['--config-file', file]), /low mark "80%" must be below the high mark "70%"/);
      await writeFile(file, JSON.stringify({ 'storage-budget': '80%' }));
      await assert.rejects(parseDaemonArgs(['--config-file', file]), /storage-budget: expected an object of strings/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('daemon keep-removed options', () => {
  it('default to 72 hours and 256 MiB', async () => {
    assert.deepEqual((await parseDaemonArgs(base)).keepRemoved, { keepMs: 72 * 3_600_000, maxBytes: 256 * 1024 ** 2 });
  });

  it('take flags over daemon.json, 0 keeping none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-keep-'));
    try {
      const file = join(dir, 'daemon.json');
      await writeFile(file, JSON.stringify({ 'keep-removed': '1h30m', 'keep-removed-size': '1g' }));
      assert.deepEqual((await parseDaemonArgs(['--config-file', file])).keepRemoved, { keepMs: 5_400_000, maxBytes: 1024 ** 3 });
      assert.deepEqual((await parseDaemonArgs(['--config-file', file, '--keep-removed', '3s', '--keep-removed-size', '100k'])).keepRemoved, { keepMs: 3000, maxBytes: 102_400 });
      assert.equal((await parseDaemonArgs([...base, '--keep-removed', '0'])).keepRemoved.keepMs, 0);
      assert.equal((await parseDaemonArgs([...base, '--keep-removed', '7d'])).keepRemoved.keepMs, 7 * 86_400_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuse what is not a duration or a size', async () => {
    await assert.rejects(parseDaemonArgs([...base, '--keep-removed', '72']), /invalid --keep-removed "72": use a duration/);
    await assert.rejects(parseDaemonArgs([...base, '--keep-removed', 'soon']), /invalid --keep-removed/);
    await assert.rejects(parseDaemonArgs([...base, '--keep-removed-size', '12 apples']), /invalid --keep-removed-size "12 apples"/);
  });
});

describe('the dashboard address', () => {
  it('is off by default, and on loopback without TLS', async () => {
    assert.equal((await parseDaemonArgs(base)).ui, undefined);
    assert.deepEqual((await parseDaemonArgs([...base, '--ui', '127.0.0.1:8090'])).ui, { host: '127.0.0.1', port: 8090 });
    assert.deepEqual((await parseDaemonArgs([...base, '--ui', '[::1]:0'])).ui, { host: '::1', port: 0 });
  });

  it('refuses another address without TLS or --ui-insecure, clearly', async () => {
    await assert.rejects(parseDaemonArgs([...base, '--ui', '0.0.0.0:8090']), /refusing to serve the dashboard on 0\.0\.0\.0:8090 without TLS.*--tlscert and --tlskey.*--ui-insecure/);
    await assert.rejects(parseDaemonArgs([...base, '--ui', 'nonsense']), /invalid --ui "nonsense": want HOST:PORT/);
    assert.deepEqual((await parseDaemonArgs([...base, '--ui', '0.0.0.0:8090', '--ui-insecure'])).ui, { host: '0.0.0.0', port: 8090 });
    assert.deepEqual((await parseDaemonArgs([...base, '--ui', '10.0.0.1:8443', '--tlscert', '/c.pem', '--tlskey', '/k.pem'])).ui, { host: '10.0.0.1', port: 8443, tls: { cert: '/c.pem', key: '/k.pem' } });
  });

  it('is read from daemon.json as "ui" and "ui-insecure"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hui-opts-'));
    try {
      await writeFile(join(dir, 'daemon.json'), JSON.stringify({ ui: '192.168.1.2:8090', 'ui-insecure': true }));
      assert.deepEqual((await parseDaemonArgs(['--config-file', join(dir, 'daemon.json')])).ui, { host: '192.168.1.2', port: 8090 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('daemon CRI options', () => {
  it('serve the CRI on /run/berth/cri.sock unless told otherwise', async () => {
    const cni = { cniConfDir: '/etc/cni/net.d', cniBinDirs: ['/opt/cni/bin', '/usr/lib/cni'] };
    assert.deepEqual((await parseDaemonArgs(base)).cri, { socket: '/run/berth/cri.sock', ...cni });
    assert.deepEqual((await parseDaemonArgs([...base, '--cri-socket', 'unix:///tmp/x/cri.sock'])).cri, { socket: '/tmp/x/cri.sock', ...cni });
    assert.deepEqual((await parseDaemonArgs([...base, '--cni-conf-dir', '/tmp/c', '--cni-bin-dir', '/b1', '--cni-bin-dir', '/b2'])).cri, { socket: '/run/berth/cri.sock', cniConfDir: '/tmp/c', cniBinDirs: ['/b1', '/b2'] });
    await assert.rejects(parseDaemonArgs([...base, '--cni-conf-dir', 'net.d']), /invalid CNI directory "net.d"/);
    assert.equal((await parseDaemonArgs([...base, '--cri=false'])).cri, undefined);
    assert.equal((await parseDaemonArgs([...base, '--no-cri'])).cri, undefined);
    await assert.rejects(parseDaemonArgs([...base, '--cri-socket', 'cri.sock']), /invalid --cri-socket "cri.sock": use an absolute path/);
  });

  it('read cri and cri-socket from daemon.json; flags win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hcri-opts-'));
    try {
      const file = join(dir, 'daemon.json');
      await writeFile(file, JSON.stringify({ cri: true, 'cri-socket': '/run/k/cri.sock', 'cni-conf-dir': '/k/net.d', 'cni-bin-dirs': ['/k/bin'] }));
      assert.deepEqual((await parseDaemonArgs(['--config-file', file])).cri, { socket: '/run/k/cri.sock', cniConfDir: '/k/net.d', cniBinDirs: ['/k/bin'] });
      assert.equal((await parseDaemonArgs(['--config-file', file, '--cri=false'])).cri, undefined);
      await writeFile(file, JSON.stringify({ cri: 'yes' }));
      await assert.rejects(parseDaemonArgs(['--config-file', file]), /cri/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
