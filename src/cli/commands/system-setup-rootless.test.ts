import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasCapability, openTo, userNamespaceLines } from './system-setup-rootless.js';

describe('setup-rootless host checks', () => {
  it('explains each user-namespace switch that is off, in one line', async () => {
        assert.deepEqual(userNamespaceLines({ maxUserNs: '15000\n' }).map((l) => l.status), ['ok']);
    const off = userNamespaceLines({ maxUserNs: '0', unprivClone: '0\n', apparmorRestrict: '1\n' });
    assert.equal(off.length, 3);
    assert.ok(off.every((l) => l.status === 'missing' && /sysctl -w/.test(l.text)));
    assert.equal(hasCapability('CapBnd:\t000001fffeffffff\n', 'CapBnd', 24), false);
    assert.equal(hasCapability('CapBnd:\t000001ffffffffff\n', 'CapBnd', 24), true);
  });

  it('openTo: /dev/net/tun as udev makes it (0666) is open to anyone; 0600 only to its owner; 0660 to its group', () => {
    assert.equal(openTo(0o20666, 0, 0, 1000, [1000]), true);
    assert.equal(openTo(0o20600, 0, 0, 1000, [1000]), false);
    assert.equal(openTo(0o20600, 1000, 0, 1000, [1000]), true);
    assert.equal(openTo(0o20660, 0, 108, 1000, [1000, 108]), true);
    assert.equal(openTo(0o20660, 0, 108, 1000, [1000]), false);
    assert.equal(openTo(0o20644, 0, 0, 1000, [1000]), false, 'read only is not enough');
    assert.equal(openTo(0o20600, 0, 0, 0, [0]), true, 'root');
  });
});
