import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

/** docker cp into a running container, whose root berthd reaches through /proc/<pid>/root. */
describe('docker cp into a running container', () => {
  let d: TestDaemon;
  let src: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    src = await mkdtemp(join(tmpdir(), 'berth-cp-src-'));
    await writeFile(join(src, 'file.txt'), 'hello\n');
    await mkdir(join(src, 'dir/sub'), { recursive: true });
    await writeFile(join(src, 'dir/sub/a'), 'a');
    await utimes(join(src, 'dir/sub'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    ok(await d.docker(['run', '-d', '--name', 'live', '--network', 'none', 'busybox', 'sleep', '300']), 'run');
  });
  after(async () => {
    await d?.docker(['rm', '-f', 'live']);
    await d?.stop();
    if (src) await rm(src, { recursive: true, force: true });
  });

  it('copies a file and a directory to new names right under /, keeping directory times', async () => {
    ok(await d.docker(['cp', join(src, 'file.txt'), 'live:/newname']), 'cp file to /newname');
    ok(await d.docker(['cp', join(src, 'dir'), 'live:/newdir']), 'cp dir to /newdir');
    assert.equal(ok(await d.docker(['exec', 'live', 'cat', '/newname', '/newdir/sub/a']), 'cat').stdout, 'hello\na');
    // busybox stat: %Y is the mtime in seconds.
    assert.equal(ok(await d.docker(['exec', 'live', 'stat', '-c', '%Y', '/newdir/sub']), 'stat').stdout.trim(), String(Date.parse('2001-02-03T04:05:06Z') / 1000));
  });
});
