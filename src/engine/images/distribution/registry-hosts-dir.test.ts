import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostsToml } from './registry-hosts-dir.js';

describe('parseHostsToml (containerd\'s hosts.toml)', () => {
  it('reads mirrors in order, their scheme and skip_verify, and the server', () => {
    const cfg = parseHostsToml(
      'server = "https://registry.k8s.io"\n[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n[host."https://mirror.example"]\n  skip_verify = true\n[host."https://push-only.example"]\n  capabilities = ["push"]\n',
      'f',
    );
    assert.deepEqual(cfg.mirrors, [
      { host: '10.0.0.5:5000', insecure: true },
      { host: 'mirror.example', insecure: true },
    ]);
    assert.deepEqual(cfg.server, { host: 'registry.k8s.io', insecure: false });
  });

  it('takes /v2 as the only path, and says what is wrong otherwise', () => {
    assert.equal(parseHostsToml('[host."https://m.example/v2"]\n', 'f').mirrors[0]?.host, 'm.example');
    assert.throws(() => parseHostsToml('[host."https://m.example/some/path"]\n', 'f'), /has a path.*override_path/);
    assert.throws(() => parseHostsToml('[host."ftp://m.example"]\n', 'f'), /neither http:\/\/ nor https:\/\//);
    assert.throws(() => parseHostsToml('[host."http://x"\n', '/etc/berth/certs.d/x/hosts.toml'), /^InvalidParameterError|hosts\.toml is not valid TOML/);
    assert.throws(() => parseHostsToml('[host."http://x"]\ncapabilities = "pull"\n', 'f'), /must be a list/);
  });
});
