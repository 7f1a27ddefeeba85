import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTHD_JS, NODE, run, TestDaemon } from '../../helpers/test-daemon.js';
import { mountsUnder } from '../../helpers/mounts.js';

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe('berthd lifecycle', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test('a second daemon on the same data root is refused with a clear error', async () => {
    const d = await TestDaemon.start();
    cleanup.push(() => d.stop());
    const other = await run(NODE, [BERTHD_JS, '-H', `unix://${d.root}/other.sock`, '--data-root', d.dataRoot, '--exec-root', join(d.root, 'exec2'), '--config-file', join(d.root, 'daemon.json')], { timeoutMs: 20_000 });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /another berthd \(pid \d+\) is already using data root/);
    const ping = await d.client.raw({ method: 'GET', path: '/_ping' }, false);
    ping.resume();
    assert.equal(ping.statusCode, 200, 'the first daemon keeps serving');
  });

  test('SIGTERM shuts down cleanly: socket, pidfile, lock and the runtimes\' read-only mounts are removed', async () => {
    const d = await TestDaemon.start();
    cleanup.push(() => d.stop());
    const pid = await d.pidFromFile();
    assert.ok(pid > 0);
    assert.ok(await exists(d.socket));
    assert.deepEqual((await mountsUnder(d.execRoot)).sort(), [join(d.execRoot, 'runtime-bin/crun'), join(d.execRoot, 'runtime-bin/runc')]);
    await d.halt('SIGTERM');
    assert.equal(await exists(d.socket), false);
    assert.equal(await exists(join(d.execRoot, 'berthd.pid')), false);
    assert.equal(await exists(join(d.dataRoot, 'berthd.lock')), false);
    assert.deepEqual(await mountsUnder(d.execRoot), []);
  });

  test('a daemon killed with SIGKILL leaves a stale lock that the next daemon takes over', async () => {
    const d = await TestDaemon.start();
    cleanup.push(() => d.stop());
    await d.halt('SIGKILL');
    assert.ok(await exists(join(d.dataRoot, 'berthd.lock')));
    await d.launch();
    const r = await d.berth(['version', '--format', '{{.Server.ApiVersion}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.50');
  });

  test('flags: unknown ones and bad values are refused with 125; --version and --help exit 0', async () => {
    const unknown = await run(NODE, [BERTHD_JS, '--no-such-flag'], { timeoutMs: 20_000 });
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /Unknown option '--no-such-flag'/);
    const level = await run(NODE, [BERTHD_JS, '--log-level', 'loud'], { timeoutMs: 20_000 });
    assert.equal(level.code, 125);
    assert.match(level.stderr, /invalid log level "loud"/);
    const cgroup = await run(NODE, [BERTHD_JS, '--cgroup-parent', 'relative/../x'], { timeoutMs: 20_000 });
    assert.equal(cgroup.code, 125);
    assert.match(cgroup.stderr, /invalid cgroup parent "relative\/\.\.\/x"/);
    const version = await run(NODE, [BERTHD_JS, '--version'], { timeoutMs: 20_000 });
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^Berth daemon version \d/);
    const help = await run(NODE, [BERTHD_JS, '-h'], { timeoutMs: 20_000 });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--data-root DIR/);
  });

  test('config file values apply and flags win over them; bad files are refused', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const bad = join(root, 'bad.json');
    await writeFile(bad, '{"data-root": 5}');
    const r1 = await run(NODE, [BERTHD_JS, '--config-file', bad], { timeoutMs: 20_000 });
    assert.equal(r1.code, 125);
    assert.match(r1.stderr, /invalid config file .*bad\.json: data-root/);
    await writeFile(bad, '{"no-such-option": true}');
    const r2 = await run(NODE, [BERTHD_JS, '--config-file', bad], { timeoutMs: 20_000 });
    assert.equal(r2.code, 125);
    assert.match(r2.stderr, /no-such-option/);
    const r3 = await run(NODE, [BERTHD_JS, '--config-file', join(root, 'missing.json')], { timeoutMs: 20_000 });
    assert.equal(r3.code, 125);
    assert.match(r3.stderr, /unable to read config file/);
  });

  test('the config file sets the storage driver; SIGHUP reloads the log level', async () => {
    const d = await TestDaemon.start(['--storage-driver', 'vfs']);
    cleanup.push(() => d.stop());
    const info = await d.berth(['info', '--format', '{{.Driver}}']);
    assert.equal(info.stdout.trim(), 'vfs');
    await writeFile(join(d.root, 'daemon.json'), '{"log-level": "warn"}');
    process.kill(await d.pidFromFile(), 'SIGHUP');
    const deadline = Date.now() + 5000;
    while (!d.logs.includes('configuration reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(d.logs, /configuration reloaded/);
    assert.match(d.logs, /"logLevel":"warn"/);
  });
});
