import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../core/errors.js';
import { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, normalizeCapabilities, tweakCapabilities } from './capabilities.js';

describe('tweakCapabilities', () => {
  it('returns the defaults when nothing is added or dropped', () => {
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES), [...DEFAULT_CAPABILITIES]);
  });

  it('drops first, then appends the adds, accepting any case and a missing CAP_ prefix', () => {
    const caps = tweakCapabilities(DEFAULT_CAPABILITIES, {
      add: ['sys_admin', 'CAP_NET_ADMIN'],
      drop: ['net_raw', 'Mknod'],
    });
    assert.ok(!caps.includes('CAP_NET_RAW'));
    assert.ok(!caps.includes('CAP_MKNOD'));
    assert.deepEqual(caps.slice(-2), ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN']);
    assert.equal(caps.length, 14);
  });

  it('adding a default capability does not list it twice', () => {
    const caps = tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['CHOWN'] });
    assert.equal(caps.filter((c) => c === 'CAP_CHOWN').length, 1);
  });

  it('--cap-drop ALL keeps only the added capabilities', () => {
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }), [
      'CAP_NET_BIND_SERVICE',
    ]);
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, { drop: ['all'] }), []);
  });

  it('--cap-add ALL grants every capability except the dropped ones', () => {
    const caps = tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['ALL'], drop: ['SYS_ADMIN'] });
    assert.equal(caps.length, KNOWN_CAPABILITIES.length - 1);
    assert.ok(!caps.includes('CAP_SYS_ADMIN'));
    assert.ok(caps.includes('CAP_BPF'));
  });

  it('--cap-add ALL wins over --cap-drop ALL, as in docker', () => {
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['ALL'], drop: ['ALL'] }), [...KNOWN_CAPABILITIES]);
  });

  it('privileged grants every capability the host has and ignores add/drop', () => {
    const all = tweakCapabilities(DEFAULT_CAPABILITIES, { privileged: true, drop: ['ALL'] });
    assert.deepEqual(all, [...KNOWN_CAPABILITIES]);
    const hostCaps = KNOWN_CAPABILITIES.slice(0, 38);
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, { privileged: true, available: hostCaps }), hostCaps);
  });

  it('refuses an unknown capability with docker’s message', () => {
    assert.throws(
      () => tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['FOO'] }),
      (err: unknown) => err instanceof InvalidParameterError && err.message === 'unknown capability: "CAP_FOO"',
    );
  });

  it('refuses a known capability the host does not grant', () => {
    assert.throws(
      () => normalizeCapabilities(['CAP_BPF'], ['CAP_CHOWN']),
      (err: unknown) =>
        err instanceof InvalidParameterError &&
        err.message ===
          'capability not supported by your kernel or not available in the current environment: "CAP_BPF"',
    );
  });
});

describe('capabilities the host lacks', () => {
  const available = KNOWN_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');
  it('can be dropped (a no-op) but not added', () => {
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, { drop: ['SYS_RESOURCE'], available }), [...DEFAULT_CAPABILITIES]);
    assert.throws(() => tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['SYS_RESOURCE'], available }), /not available in the current environment/);
    assert.ok(!tweakCapabilities(DEFAULT_CAPABILITIES, { add: ['ALL'], available }).includes('CAP_SYS_RESOURCE'));
  });
});
