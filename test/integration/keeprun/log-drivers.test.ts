import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

describe('log drivers and rotation', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    for (const n of ['rot', 'gz', 'none', 'local', 'one']) await d.docker(['rm', '-f', n]).catch(() => undefined);
    await d?.stop();
  });

  const logFiles = async (name: string): Promise<string[]> => {
    const path = ok(await d.docker(['inspect', '-f', '{{.LogPath}}', name]), 'inspect').stdout.trim();
    return (await readdir(dirname(path))).filter((f) => f.startsWith(basename(path))).sort();
  };
  const lines = (n: number): string => `i=1; while [ $i -le ${n} ]; do echo "line $i of a log that is long enough to rotate"; i=$((i+1)); done`;

  test('max-size and max-file rotate, keep max-file files, and logs reads across them', async () => {
    // compress=false: the daemon's default (compress=true) would gzip the rotated files.
    ok(await d.docker(['run', '--name', 'rot', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=3', '--log-opt', 'compress=false', 'busybox', 'sh', '-c', lines(300)]), 'run');
    const files = await logFiles('rot');
    assert.equal(files.length, 3, files.join(' '));
    assert.ok(files.some((f) => f.endsWith('.log.2')));
    const out = ok(await d.docker(['logs', 'rot']), 'logs').stdout.trim().split('\n');
    assert.equal(out.at(-1), 'line 300 of a log that is long enough to rotate');
    // Entries are contiguous across the rotated files: nothing lost between them.
    const first = Number(/line (\d+)/.exec(out[0] ?? '')?.[1]);
    assert.deepEqual(out.map((l) => Number(/line (\d+)/.exec(l)?.[1])), Array.from({ length: 300 - first + 1 }, (_, i) => first + i));
    assert.ok(out.length > 30 && out.length < 300, `kept ${out.length} lines`);
    const tail = ok(await d.berth(['logs', '--tail', String(out.length - 2), 'rot']), 'tail').stdout.trim().split('\n');
    assert.deepEqual(tail, out.slice(2), 'tail reaches into rotated files');
  });

  test('compress=true gzips rotated files and logs still reads them', async () => {
    ok(await d.docker(['run', '--name', 'gz', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=4', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', lines(200)]), 'run');
    const files = await logFiles('gz');
    assert.ok(files.some((f) => f.endsWith('.gz')), files.join(' '));
    const out = ok(await d.docker(['logs', 'gz']), 'logs').stdout.trim().split('\n');
    assert.equal(out.at(-1), 'line 200 of a log that is long enough to rotate');
    const first = Number(/line (\d+)/.exec(out[0] ?? '')?.[1]);
    assert.equal(out.length, 200 - first + 1);
  });

  test('max-file=1 truncates in place; --log-driver none keeps nothing; local keeps logs', async () => {
    ok(await d.docker(['run', '--name', 'one', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=1', 'busybox', 'sh', '-c', lines(100)]), 'run');
    assert.equal((await logFiles('one')).length, 1);
    assert.match(ok(await d.docker(['logs', 'one']), 'logs').stdout, /line 100 of/);
    ok(await d.docker(['run', '--name', 'none', '--log-driver', 'none', 'busybox', 'echo', 'hi']), 'run none');
    const none = await d.docker(['logs', 'none']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /configured logging driver does not support reading/);
    ok(await d.docker(['run', '--name', 'local', '--log-driver', 'local', 'busybox', 'echo', 'kept locally']), 'run local');
    assert.equal(ok(await d.docker(['logs', 'local']), 'logs').stdout, 'kept locally\n');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'local']), 'inspect').stdout.trim(), 'local');
    const bad = await d.docker(['run', '--rm', '--log-opt', 'max-file=0', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /max-file cannot be less than 1/);
    const unknown = await d.docker(['run', '--rm', '--log-driver', 'syslog', 'busybox', 'true']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /log driver "syslog" is not supported/);
  });
});
