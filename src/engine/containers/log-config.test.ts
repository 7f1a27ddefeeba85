import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_LOG_OPTS, daemonLogOpts, logSettings, mergeLogOpts, validateLogConfig } from './log-config.js';

const defaults = daemonLogOpts({});

describe('daemon log options', () => {
  it('default to max-size=20m, max-file=5, compress=true; a flag overrides one key', () => {
    assert.deepEqual(defaults, { 'max-size': '20m', 'max-file': '5', compress: 'true' });
    assert.deepEqual(daemonLogOpts({ 'max-file': '3' }), { ...BUILTIN_LOG_OPTS, 'max-file': '3' });
  });

  it('max-size=-1 drops the built-in ones: nothing rotates', () => {
    assert.deepEqual(daemonLogOpts({ 'max-size': '-1' }), {});
    assert.throws(() => daemonLogOpts({ 'max-size': '-1', compress: 'true' }), /compress cannot be true/);
    assert.equal(logSettings({ Type: 'json-file', Config: { 'max-size': '-1' } }).maxSize, 0);
  });

  it('are refused at startup when invalid, naming where they come from', () => {
    assert.throws(() => daemonLogOpts({ colour: 'red' }), /invalid daemon log options.*unknown log opt 'colour'/);
    assert.throws(() => daemonLogOpts({ 'max-size': 'lots' }), /invalid daemon log options.*invalid size/);
  });
});

describe('a container\'s log options with the daemon\'s', () => {
  it('a container without options gets the daemon defaults, shown in its LogConfig', () => {
    const c = validateLogConfig(undefined, defaults);
    assert.deepEqual(c, { Type: 'json-file', Config: defaults });
    assert.deepEqual(logSettings(c), { driver: 'json-file', maxSize: 20_000_000, maxFiles: 5, compress: true });
    assert.deepEqual(validateLogConfig({ Type: '', Config: null }, defaults).Config, defaults);
  });

  it('its own keys win, the others are filled in', () => {
    assert.deepEqual(validateLogConfig({ Type: 'json-file', Config: { 'max-size': '1m' } }, defaults).Config, { 'max-size': '1m', 'max-file': '5', compress: 'true' });
  });

  it('max-size=-1 opts out of every default', () => {
    const c = validateLogConfig({ Config: { 'max-size': '-1' } }, defaults);
    assert.deepEqual(c.Config, { 'max-size': '-1' });
    assert.deepEqual(logSettings(c), { driver: 'json-file', maxSize: 0, maxFiles: 1, compress: false });
  });

  it('max-file=1 alone is not refused over the daemon\'s compress', () => {
    assert.deepEqual(mergeLogOpts('json-file', { 'max-file': '1' }, defaults), { 'max-size': '20m', 'max-file': '1' });
    assert.throws(() => validateLogConfig({ Config: { 'max-file': '1', compress: 'true' } }, defaults), /compress cannot be true/);
  });

  it('other drivers take none of them', () => {
    assert.deepEqual(validateLogConfig({ Type: 'local' }, defaults), { Type: 'local', Config: {} });
    assert.deepEqual(validateLogConfig({ Type: 'none' }, defaults), { Type: 'none', Config: {} });
  });

  it('a daemon that never rotates leaves a container without options unbounded, Config empty as dockerd\'s', () => {
    const c = validateLogConfig(undefined, daemonLogOpts({ 'max-size': '-1' }));
    assert.deepEqual(c, { Type: 'json-file', Config: {} });
    assert.equal(logSettings(c).maxSize, 0);
  });
});
