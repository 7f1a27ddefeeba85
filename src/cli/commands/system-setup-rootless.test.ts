import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasCapability, userNamespaceLines } from './system-setup-rootless.js';

describe('setup-rootless host checks', () => {
  it('explains each user-namespace switch that is off, in one line', async () => {
        assert.deepEqual(userNamespaceLines({ maxUserNs: '15000\n' }).map((l) => l.status), ['ok']);
    const off = userNamespaceLines({ maxUserNs: '0', unprivClone: '0\n', apparmorRestrict: '1\n' });
    assert.equal(off.length, 3);
    assert.ok(off.every((l) => l.status === 'missing' && /sysctl -w/.test(l.text)));
    assert.equal(hasCapability('CapBnd:\t000001fffeffffff\n', 'CapBnd', 24), false);
    assert.equal(hasCapability('CapBnd:\t000001ffffffffff\n', 'CapBnd', 24), true);
  });
});
