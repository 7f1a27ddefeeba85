import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';

/** A docker-credential-* helper of the test's own: keeps one entry in a file beside it. */
const HELPER = `#!/bin/sh
store="$(dirname "$0")/store.json"
case "$1" in
  store) cat > "$store" ;;
  get) read host; if [ -f "$store" ]; then cat "$store"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read host; rm -f "$store" ;;
esac
`;

describe('client configuration: credential helpers and registry mirrors', () => {
  let d: TestDaemon;
  let reg: RegistryProcess;
  let mirrorDaemon: TestDaemon | undefined;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    const file = join(d.root, 'htpasswd');
    await writeFile(file, `carol:${bcrypt.hashSync('carol-secret', 5)}\n`);
    reg = await RegistryProcess.start(['--auth', `htpasswd:${file}`, '--public', 'library/*']);
  });
  after(async () => {
    await mirrorDaemon?.stop();
    await reg?.stop();
    await d?.stop();
  });

  test('credsStore: login stores through docker-credential-<name>, push uses it, logout erases it', async () => {
    const bin = join(d.root, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'docker-credential-berthtest'), HELPER);
    await chmod(join(bin, 'docker-credential-berthtest'), 0o755);
    await mkdir(join(d.root, 'docker-config'), { recursive: true });
    await writeFile(join(d.root, 'docker-config', 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
    ok(await d.berth(['login', '-u', 'carol', '--password-stdin', reg.host], { input: 'carol-secret\n', env }), 'login');
    const stored = JSON.parse(await readFile(join(bin, 'store.json'), 'utf8')) as { ServerURL: string; Username: string; Secret: string };
    assert.deepEqual(stored, { ServerURL: reg.host, Username: 'carol', Secret: 'carol-secret' });
    const config = await readFile(join(d.root, 'docker-config', 'config.json'), 'utf8');
    assert.ok(!config.includes('carol-secret'), 'the password is not in config.json');
    ok(await d.berth(['tag', 'busybox', `${reg.host}/library/busybox:latest`]), 'tag');
    ok(await d.berth(['push', `${reg.host}/library/busybox:latest`], { env }), 'push with the helper’s credentials');
    ok(await d.berth(['logout', reg.host], { env }), 'logout');
    assert.ok(!existsSync(join(bin, 'store.json')), 'the helper erased the entry');
    const anon = await d.berth(['push', `${reg.host}/library/busybox:latest`], { env });
    assert.notEqual(anon.code, 0, 'no credentials after logout');
  });

  test('--registry-mirror: a docker.io pull is served by the mirror (loopback only, nothing leaves the host)', async () => {
    mirrorDaemon = await TestDaemon.start(['--registry-mirror', `http://${reg.host}`]);
    const pull = ok(await mirrorDaemon.berth(['pull', 'busybox']), 'pull busybox through the mirror');
    assert.match(pull.stdout, /Status: Downloaded newer image for busybox:latest/);
    assert.match(pull.stdout, /docker\.io\/library\/busybox:latest\s*$/);
    const id = ok(await mirrorDaemon.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
    assert.equal(id, ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim());
    assert.match(reg.logs, /"path":"\/v2\/library\/busybox\/manifests\/latest","status":200/);
    const info = ok(await mirrorDaemon.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}} {{json .RegistryConfig.InsecureRegistryCIDRs}}']), 'docker info');
    assert.equal(info.stdout.trim(), `["http://${reg.host}"] ["127.0.0.0/8"]`);
  });

  test('hosts.toml mirrors any registry (containerd\'s format): the image keeps its name, a broken file is a clear error', async () => {
    const open = await RegistryProcess.start();
    try {
      const dir = join(d.root, 'certs.d');
      await mkdir(join(dir, 'registry.k8s.io'), { recursive: true });
      await writeFile(join(dir, 'registry.k8s.io', 'hosts.toml'), `server = "https://registry.k8s.io"\n\n[host."http://${open.host}"]\n  capabilities = ["pull", "resolve"]\n`);
      ok(await d.docker(['tag', 'busybox', `${open.host}/e2e/k8s-standin:1.0`]), 'tag');
      ok(await d.docker(['push', `${open.host}/e2e/k8s-standin:1.0`]), 'push');
      const pull = ok(await d.berth(['pull', 'registry.k8s.io/e2e/k8s-standin:1.0']), 'pull through the hosts.toml mirror');
      assert.match(pull.stdout, /registry\.k8s\.io\/e2e\/k8s-standin:1\.0\s*$/);
      assert.match(open.logs, /"path":"\/v2\/e2e\/k8s-standin\/manifests\/1\.0","status":200/);
      // _default serves a registry without a directory of its own.
      await mkdir(join(dir, '_default'), { recursive: true });
      await writeFile(join(dir, '_default', 'hosts.toml'), `[host."http://${open.host}"]\n`);
      ok(await d.berth(['pull', 'quay.example/e2e/k8s-standin:1.0']), 'pull through _default');
      await writeFile(join(dir, '_default', 'hosts.toml'), '[host."http://nope"\n');
      const bad = await d.berth(['pull', 'quay.example/e2e/other:1.0']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /_default\/hosts\.toml is not valid TOML/);
    } finally {
      await open.stop();
    }
  });
});
