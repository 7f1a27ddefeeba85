import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

describe('system prune', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start();
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
  });
  after(async () => {
    await d?.stop();
  });

  test('removes stopped containers, with --volumes anonymous volumes, with -a unused images; filters narrow it', async () => {
    ok(await d.docker(['run', '--name', 'keepme', '--label', 'keep=1', 'busybox', 'true']), 'labelled');
    ok(await d.docker(['run', '--name', 'gone', '-v', '/data', 'busybox', 'true']), 'with an anonymous volume');
    ok(await d.docker(['run', '-d', '--name', 'alive', 'busybox', 'sleep', '300']), 'running');
    const anon = ok(await d.docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'gone']), 'inspect').stdout.trim();
    ok(await d.docker(['commit', 'gone', 'prunable:1']), 'an image nobody uses');
    ok(await d.docker(['volume', 'create', 'named']), 'named volume');
    const filtered = ok(await d.berth(['system', 'prune', '-f', '--filter', 'label=keep=1']), 'prune with a filter').stdout;
    assert.match(filtered, /Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.equal(ok(await d.docker(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout.trim().split('\n').sort().join(' '), 'alive gone');
    ok(await d.docker(['rm', 'gone']), 'rm keeps the anonymous volume');
    const r = ok(await d.berth(['system', 'prune', '-f', '-a', '--volumes']), 'prune -a --volumes').stdout;
    assert.match(r, new RegExp(`Deleted Volumes:\\n${anon}\\n`));
    assert.match(r, /Deleted Images:\nuntagged: prunable:1\n/);
    assert.match(r, /Total reclaimed space: /);
    assert.equal(ok(await d.docker(['volume', 'ls', '-q']), 'volumes').stdout.trim(), 'named', 'named volumes stay');
    assert.equal(ok(await d.docker(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout.trim(), 'alive');
    assert.match(ok(await d.docker(['images', '--format', '{{.Repository}}']), 'images').stdout, /busybox/, 'an image in use stays');
    ok(await d.docker(['rm', '-f', 'alive']), 'rm');
  });
});
