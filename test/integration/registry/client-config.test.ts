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
});
