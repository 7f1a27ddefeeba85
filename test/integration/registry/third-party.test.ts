import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { DebianRegistry } from '../../helpers/debian-registry.js';
import { ok } from '../../helpers/expect.js';

describe("Berth's client against Debian's docker-registry (distribution 2.8)", { skip: !DebianRegistry.available() && 'docker-registry is not installed (scripts/install.sh installs it)' }, () => {
  let d: TestDaemon;
  let reg: DebianRegistry;
  let busyboxId: string;
  before(async () => {
    d = await TestDaemon.start();
    reg = await DebianRegistry.start();
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    busyboxId = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
  });
  after(async () => {
    await reg?.stop();
    await d?.stop();
  });

  test('berth pushes to it and pulls back the same image', async () => {
    const name = `${reg.host}/third/box:1`;
    ok(await d.berth(['tag', 'busybox', name]), 'tag');
    const push = ok(await d.berth(['push', name]), 'push');
    const digest = /1: digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    const head = await fetch(`http://${reg.host}/v2/third/box/manifests/1`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(head.headers.get('docker-content-digest'), digest, 'the registry stored the manifest Berth pushed, byte for byte');
    ok(await d.berth(['rmi', name]), 'rmi');
    ok(await d.berth(['rmi', 'busybox']), 'rmi busybox');
    const pull = ok(await d.berth(['pull', name]), 'pull');
    assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', name]), 'inspect').stdout.trim(), busyboxId);
    assert.equal(ok(await d.berth(['run', '--rm', name, 'echo', 'from distribution']), 'run').stdout.trim(), 'from distribution');
  });

  test('the docker CLI through berthd, pull -a and the catalog search', async () => {
    ok(await d.docker(['tag', `${reg.host}/third/box:1`, `${reg.host}/third/box:2`]), 'tag');
    ok(await d.docker(['push', `${reg.host}/third/box:2`]), 'docker push');
    ok(await d.docker(['rmi', `${reg.host}/third/box:1`, `${reg.host}/third/box:2`]), 'rmi');
    ok(await d.docker(['pull', '-a', `${reg.host}/third/box`]), 'docker pull -a');
    const tags = ok(await d.docker(['images', '--format', '{{.Tag}}', `${reg.host}/third/box`]), 'images').stdout.trim().split('\n').sort();
    assert.deepEqual(tags, ['1', '2']);
    assert.match(ok(await d.berth(['search', `${reg.host}/third`]), 'search').stdout, /third\/box/);
  });
});
