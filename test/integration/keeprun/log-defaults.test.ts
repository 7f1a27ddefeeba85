import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

const MAX_SIZE = 100 * 1000; // berthd --log-opt max-size=100k, as json-file reads it (decimal)
const MAX_FILE = 5; // the built-in default the daemon's own max-size is merged with

describe('the daemon\'s default log options', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox(['--log-opt', `max-size=100k`]);
  });
  after(async () => {
    for (const n of ['bounded', 'unbounded']) await d.docker(['rm', '-f', n]).catch(() => undefined);
    await d?.stop();
  });

  const logFiles = async (name: string): Promise<{ files: string[]; bytes: number }> => {
    const path = ok(await d.docker(['inspect', '-f', '{{.LogPath}}', name]), 'inspect').stdout.trim();
    const files = (await readdir(dirname(path))).filter((f) => f.startsWith(basename(path))).sort();
    let bytes = 0;
    for (const f of files) bytes += (await stat(join(dirname(path), f))).size;
    return { files, bytes };
  };
  // About 3 MB of stdout (6 MB of json-file entries): 60 times the daemon's max-size.
  const flood = 'seq 1 60000 | sed "s/$/ of a flood that fills an unbounded log quickly/"';
  const logConfig = async (name: string): Promise<unknown> => JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', name]), 'inspect').stdout);

  test('a container without log options is rotated under them, and inspect shows them', async () => {
    ok(await d.docker(['run', '--name', 'bounded', 'busybox', 'sh', '-c', flood]), 'run');
    assert.deepEqual(await logConfig('bounded'), { Type: 'json-file', Config: { 'max-size': '100k', 'max-file': '5', compress: 'true' } });
    const { files, bytes } = await logFiles('bounded');
    assert.ok(files.length <= MAX_FILE, `at most ${MAX_FILE} log files, saw ${files.join(' ')}`);
    assert.ok(files.some((f) => f.endsWith('.gz')), `rotated files are compressed: ${files.join(' ')}`);
    assert.ok(bytes <= MAX_SIZE * MAX_FILE + MAX_SIZE, `log files bounded by ${MAX_FILE} × 100k, saw ${bytes} bytes`);
    const tail = ok(await d.docker(['logs', '--tail', '2', 'bounded']), 'logs').stdout;
    assert.equal(tail, '59999 of a flood that fills an unbounded log quickly\n60000 of a flood that fills an unbounded log quickly\n');
  });

  test('--log-opt max-size=-1 on the container opts out of rotation', async () => {
    ok(await d.docker(['run', '--name', 'unbounded', '--log-opt', 'max-size=-1', 'busybox', 'sh', '-c', flood]), 'run');
    assert.deepEqual(await logConfig('unbounded'), { Type: 'json-file', Config: { 'max-size': '-1' } });
    const { files, bytes } = await logFiles('unbounded');
    assert.equal(files.length, 1, files.join(' '));
    assert.ok(bytes > 3_000_000, `the whole flood is kept, saw ${bytes} bytes`);
    const all = ok(await d.docker(['logs', 'unbounded']), 'logs').stdout.trim().split('\n');
    assert.equal(all.length, 60000);
  });
});

describe('berthd --log-opt max-size=-1', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox(['--log-opt', 'max-size=-1']);
  });
  after(async () => {
    await d.docker(['rm', '-f', 'plain']).catch(() => undefined);
    await d?.stop();
  });

  test('leaves a container without log options unrotated, its Config empty as dockerd\'s', async () => {
    ok(await d.docker(['run', '--name', 'plain', 'busybox', 'sh', '-c', 'seq 1 60000']), 'run');
    const config: unknown = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'plain']), 'inspect').stdout);
    assert.deepEqual(config, { Type: 'json-file', Config: {} });
    const path = ok(await d.docker(['inspect', '-f', '{{.LogPath}}', 'plain']), 'inspect').stdout.trim();
    assert.deepEqual((await readdir(dirname(path))).filter((f) => f.startsWith(basename(path))), [basename(path)]);
    assert.equal(ok(await d.docker(['logs', 'plain']), 'logs').stdout.trim().split('\n').length, 60000);
  });
});
