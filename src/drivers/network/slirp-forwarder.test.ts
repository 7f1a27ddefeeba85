import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkUnprivilegedPort } from './slirp-forwarder.js';

describe('rootless published ports', () => {
  it('refuses a port below ip_unprivileged_port_start with the sysctl that allows it', () => {
    assert.throws(() => checkUnprivilegedPort(80, '', 1024), /cannot publish 0\.0\.0\.0:80: ports below 1024 need root \(net\.ipv4\.ip_unprivileged_port_start=1024 on this host\).*-p 8080:.*sysctl -w net\.ipv4\.ip_unprivileged_port_start=80/);
    assert.throws(() => checkUnprivilegedPort(443, '127.0.0.1', 1024), /127\.0\.0\.1:443/);
  });

  it('takes ports from the start up, and a random port (0)', () => {
    assert.doesNotThrow(() => checkUnprivilegedPort(1024, '', 1024));
    assert.doesNotThrow(() => checkUnprivilegedPort(0, '', 1024));
    assert.doesNotThrow(() => checkUnprivilegedPort(80, '', 0));
  });
});
