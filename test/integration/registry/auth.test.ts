import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';

async function htpasswd(dir: string): Promise<string> {
  const file = join(dir, 'htpasswd');
  await writeFile(file, `alice:${bcrypt.hashSync('alice-secret', 5).replace(/^\$2b\$/, '$2y$')}\nbob:${bcrypt.hashSync('bob-secret', 5)}\n`);
  return file;
}

describe('registry auth: htpasswd basic and bearer tokens, through berth and the docker CLI', () => {
  let d: TestDaemon;
  let basic: RegistryProcess;
  let token: RegistryProcess;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    const file = await htpasswd(d.root);
    basic = await RegistryProcess.start(['--auth', `htpasswd:${file}`, '--public', 'pub/*']);
    token = await RegistryProcess.start(['--auth', `token:${file}`]);
  });
  after(async () => {
    await basic?.stop();
    await token?.stop();
    await d?.stop();
  });

  test('basic: anonymous push refused, wrong password refused, login then push, anonymous pull of a public repository', async () => {
    const name = `${basic.host}/pub/box:1`;
    ok(await d.berth(['tag', 'busybox', name]), 'tag');
    const anon = await d.berth(['push', name]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /requires authentication: log in with "docker login 127\.0\.0\.1:\d+"/);
    const wrong = await d.berth(['login', '-u', 'alice', '--password-stdin', basic.host], { input: 'nope\n' });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /401 Unauthorized/);
    const login = ok(await d.berth(['login', '-u', 'alice', '--password-stdin', basic.host], { input: 'alice-secret\n' }), 'login');
    assert.match(login.stdout, /Login Succeeded/);
    const config = JSON.parse(await readFile(join(d.root, 'docker-config', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(config.auths[basic.host]!.auth, 'base64').toString(), 'alice:alice-secret');
    ok(await d.berth(['push', name]), 'push after login');
    ok(await d.berth(['tag', 'busybox', `${basic.host}/private/box:1`]), 'tag private');
    ok(await d.berth(['push', `${basic.host}/private/box:1`]), 'push private');
    assert.match(ok(await d.berth(['logout', basic.host]), 'logout').stdout, new RegExp(`Removing login credentials for ${basic.host}`));
    ok(await d.berth(['rmi', name, `${basic.host}/private/box:1`]), 'rmi');
    ok(await d.berth(['pull', name]), 'anonymous pull of pub/*');
    const priv = await d.berth(['pull', `${basic.host}/private/box:1`]);
    assert.notEqual(priv.code, 0);
    assert.match(priv.stderr, /pull access denied for 127\.0\.0\.1:\d+\/private\/box, repository does not exist or may require 'docker login'/);
  });

  test('token: the docker CLI logs in and pushes through berthd; anonymous push refused; wrong password refused', async () => {
    const name = `${token.host}/alice/app:1`;
    ok(await d.docker(['tag', 'busybox', name]), 'tag');
    const anon = await d.docker(['push', name]);
    assert.notEqual(anon.code, 0);
    const wrong = await d.docker(['login', '-u', 'bob', '--password-stdin', token.host], { input: 'wrong\n' });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /unauthorized|401/i);
    ok(await d.docker(['login', '-u', 'bob', '--password-stdin', token.host], { input: 'bob-secret\n' }), 'docker login');
    const push = ok(await d.docker(['push', name]), 'docker push with a token');
    assert.match(push.stdout, /1: digest: sha256:/);
    ok(await d.docker(['rmi', name]), 'rmi');
    ok(await d.docker(['pull', name]), 'docker pull with a token');
    ok(await d.docker(['logout', token.host]), 'logout');
  });

  test('token: a token for repository A does not allow a push to repository B', async () => {
    const base = `http://${token.host}`;
    const challenge = await fetch(`${base}/v2/team/a/blobs/uploads/`, { method: 'POST' });
    assert.equal(challenge.status, 401);
    const www = challenge.headers.get('www-authenticate') ?? '';
    assert.match(www, new RegExp(`^Bearer realm="${base}/token",service="berth-registry",scope="repository:team/a:push"`));
    const basicAuth = `Basic ${Buffer.from('bob:bob-secret').toString('base64')}`;
    const bad = await fetch(`${base}/token?service=berth-registry&scope=repository:team/a:pull,push`, { headers: { Authorization: `Basic ${Buffer.from('bob:guess').toString('base64')}` } });
    assert.equal(bad.status, 401);
    const res = await fetch(`${base}/token?service=berth-registry&scope=repository:team/a:pull,push`, { headers: { Authorization: basicAuth } });
    assert.equal(res.status, 200);
    const { token: t } = (await res.json()) as { token: string };
    const bearer = { Authorization: `Bearer ${t}` };
    const inA = await fetch(`${base}/v2/team/a/blobs/uploads/`, { method: 'POST', headers: bearer });
    assert.equal(inA.status, 202);
    const inB = await fetch(`${base}/v2/team/b/blobs/uploads/`, { method: 'POST', headers: bearer });
    assert.equal(inB.status, 401);
    assert.match(inB.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.equal(((await inB.json()) as { errors: Array<{ code: string }> }).errors[0]!.code, 'UNAUTHORIZED');
    // An anonymous token carries no push at all.
    const anon = (await (await fetch(`${base}/token?service=berth-registry&scope=repository:team/a:pull,push`)).json()) as { token: string };
    assert.equal((await fetch(`${base}/v2/team/a/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${anon.token}` } })).status, 401);
    const forged = `${t.split('.')[0]}.${Buffer.from('forged').toString('base64url')}`;
    assert.equal((await fetch(`${base}/v2/team/a/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${forged}` } })).status, 401);
  });
});
