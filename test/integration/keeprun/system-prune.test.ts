import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

describe('system prune', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
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

  test("without -f the prunes ask as docker's do; only yes goes on", async () => {
    ok(await d.docker(['run', '--name', 'stopped', 'busybox', 'true']), 'a stopped container');
    const no = ok(await d.berth(['system', 'prune', '--volumes'], { input: 'n\n' }), 'system prune, answered no');
    assert.equal(no.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
    assert.match(ok(await d.docker(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout, /stopped/, 'nothing removed');
    const yes = ok(await d.berth(['container', 'prune'], { input: 'y\n' }), 'container prune, answered yes').stdout;
    assert.match(yes, /^WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.equal(ok(await d.docker(['ps', '-aq']), 'ps').stdout.trim(), '');
  });
});
