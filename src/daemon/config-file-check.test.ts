import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFileProblems } from './config-file-check.js';

test('a good daemon.json has no problems', () => {
  assert.deepEqual(configFileProblems({
    hosts: ['unix:///run/b.sock'], 'data-root': '/var/lib/b', 'log-level': 'warn', debug: true, mtu: 1400,
    'default-address-pools': [{ base: '10.9.0.0/16', size: 24 }], 'insecure-registries': [], iptables: false,
  }), []);
  assert.deepEqual(configFileProblems({}), []);
});

test('each wrong value names its key and what was expected', () => {
  const p = configFileProblems({ 'data-root': 5, debug: 'yes', mtu: 1.5, hosts: 'unix:///x', 'log-level': 'loud', 'default-address-pools': [{ base: '10.0.0.0/8' }] });
  assert.deepEqual(p, [
    'data-root: expected a string, got number 5',
    'debug: expected true or false, got string "yes"',
    'mtu: expected an integer, got number 1.5',
    'hosts: expected an array of strings, got string "unix:///x"',
    'log-level: expected one of debug, info, warn, error, fatal, got string "loud"',
    'default-address-pools: expected an array of {"base": "CIDR", "size": N}',
  ]);
});

test('unknown keys and a file that is not an object are refused', () => {
  assert.match(configFileProblems({ 'no-such-option': true })[0] ?? '', /^no-such-option: not a configuration option/);
  assert.deepEqual(configFileProblems([1]), ['(root): expected an object, got an array']);
  assert.deepEqual(configFileProblems(null), ['(root): expected an object, got null']);
});

test('daemon.json log-opts is an object of strings', () => {
  assert.deepEqual(configFileProblems({ 'log-opts': { 'max-size': '10m' } }), []);
  assert.match(configFileProblems({ 'log-opts': { 'max-file': 3 } })[0] ?? '', /^log-opts: expected an object of strings/);
});
