import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareCniVersions, configFileOrder, parseConfigFile, parseConf, parseConfList } from './cni-config.js';

const bridgeList = {
  cniVersion: '1.0.0',
  name: 'berth-cni',
  plugins: [
    { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16' }]] } },
    { type: 'portmap', capabilities: { portMappings: true, bandwidth: false } },
  ],
};

describe('CNI config parsing (libcni rules)', () => {
  it('reads a conflist: name, version, plugins with their true capabilities, the list kept as JSON', () => {
    const c = parseConfList(JSON.stringify(bridgeList), '/etc/cni/net.d/10-berth.conflist');
    assert.equal(c.name, 'berth-cni');
    assert.equal(c.cniVersion, '1.0.0');
    assert.equal(c.disableCheck, false);
    assert.deepEqual(c.plugins.map((p) => p.type), ['bridge', 'portmap']);
    assert.deepEqual(c.plugins[1]!.capabilities, { portMappings: true });
    assert.deepEqual(c.plugins[0]!.raw.ipam, bridgeList.plugins[0]!.ipam);
    assert.deepEqual(JSON.parse(c.listJson), bridgeList);
    assert.equal(c.source, '/etc/cni/net.d/10-berth.conflist');
  });

  it('makes a .conf (or .json) file a list of its one plugin', () => {
    const conf = { cniVersion: '0.4.0', name: 'flat', type: 'bridge', bridge: 'x0' };
    for (const file of ['a.conf', 'a.json']) {
      const c = parseConfigFile(file, JSON.stringify(conf));
      assert.deepEqual(c.plugins.map((p) => p.type), ['bridge']);
      assert.deepEqual(JSON.parse(c.listJson), { cniVersion: '0.4.0', name: 'flat', plugins: [conf] });
    }
    assert.throws(() => parseConf(JSON.stringify(bridgeList), 'x.conf'), /belongs in a \.conflist/);
  });

  it('refuses what libcni refuses, with its words', () => {
    const bad: Array<[unknown, RegExp]> = [
      ['{', /error parsing configuration list/],
      [{ cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /no name/],
      [{ name: 7, cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /invalid name type/],
      [{ name: 'bad name', cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /invalid network name/],
      [{ name: 'n', plugins: [{ type: 'bridge' }] }, /no cniVersion/],
      [{ name: 'n', cniVersion: '9.9.9', plugins: [{ type: 'bridge' }] }, /cniVersion 9\.9\.9, which Berth does not run/],
      [{ name: 'n', cniVersion: '1.0.0' }, /no 'plugins' key/],
      [{ name: 'n', cniVersion: '1.0.0', plugins: [] }, /no plugins in list/],
      [{ name: 'n', cniVersion: '1.0.0', plugins: {} }, /invalid 'plugins' type/],
      [{ name: 'n', cniVersion: '1.0.0', plugins: [{ bridge: 'x' }] }, /plugin config 0: missing 'type'/],
      [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: '../../bin/sh' }] }, /invalid plugin name/],
      [{ name: 'n', cniVersion: '1.0.0', disableCheck: 'maybe', plugins: [{ type: 'x' }] }, /invalid value "maybe" for disableCheck/],
    ];
    for (const [input, re] of bad) assert.throws(() => parseConfList(typeof input === 'string' ? input : JSON.stringify(input), 'f'), re, JSON.stringify(input));
    assert.throws(() => parseConf(JSON.stringify({ name: 'n', cniVersion: '1.0.0' }), 'f'), /missing 'type'/);
  });

  it('takes disableCheck as a boolean or a string, and the highest supported of cniVersions', () => {
    assert.equal(parseConfList(JSON.stringify({ ...bridgeList, disableCheck: 'TRUE' }), 'f').disableCheck, true);
    const c = parseConfList(JSON.stringify({ ...bridgeList, cniVersion: undefined, cniVersions: ['0.3.1', '1.0.0', '7.0.0'] }), 'f');
    assert.equal(c.cniVersion, '1.0.0');
  });

  it('orders config files as Go lists a directory, keeping only the three extensions', () => {
    assert.deepEqual(configFileOrder(['99-z.conf', '10-b.conflist', 'README', '10-a.json', 'x.conflist.bak', 'Z.conf', '05.conf~']), ['10-a.json', '10-b.conflist', '99-z.conf', 'Z.conf']);
  });

  it('compares versions numerically', () => {
    assert.ok(compareCniVersions('0.10.0', '0.4.0') > 0);
    assert.ok(compareCniVersions('0.3.1', '0.4.0') < 0);
    assert.equal(compareCniVersions('1.0.0', '1.0.0'), 0);
  });
});
