import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { unmountUnder } from '../../helpers/mounts.js';
import { ok } from '../../helpers/expect.js';

describe('system df and a host reboot', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d.docker(['rm', '-f', 'dfuser']).catch(() => undefined);
    await d?.stop();
  });

  test('system df counts images, containers and volumes with both CLIs', async () => {
    ok(await d.docker(['volume', 'create', 'dfvol']), 'volume create');
    ok(await d.docker(['run', '--name', 'dfuser', '-v', 'dfvol:/data', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /data/f; echo x > /newfile']), 'run');
    for (const cli of ['docker', 'berth'] as const) {
      const r = ok(await (cli === 'docker' ? d.docker(['system', 'df']) : d.berth(['system', 'df'])), `${cli} system df`);
      assert.match(r.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
      assert.match(r.stdout, /\nImages\s+1\s+1\s+\d+(\.\d+)?MB\s+/);
      assert.match(r.stdout, /\nContainers\s+1\s+0\s+\d+B\s+\d+B \(100%\)\n/);
      assert.match(r.stdout, /\nLocal Volumes\s+1\s+1\s+5kB\s+0B \(0%\)\n/);
    }
    const json = ok(await d.berth(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}']), 'format');
    assert.deepEqual(json.stdout.trim().split('\n'), ['Images=1', 'Containers=1', 'Local Volumes=1', 'Build Cache=0']);
  });

  test('after a simulated host reboot (no processes, no mounts, empty /run) volumes and records are intact', async () => {
    ok(await d.docker(['run', '-d', '--name', 'rebooted', '-v', 'dfvol:/data', 'busybox', 'sleep', '300']), 'run -d');
    const pid = ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', 'rebooted']), 'inspect').stdout.trim();
    await d.halt('SIGKILL');
    // What a reboot does: every process gone, every mount gone, /run (the exec root) empty.
    process.kill(Number(pid), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await unmountUnder(d.root);
    await rm(d.execRoot, { recursive: true, force: true });
    await d.launch();
    const state = ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'rebooted']), 'inspect after reboot').stdout.trim();
    assert.match(state, /^exited \d+$/);
    const data = ok(await d.docker(['run', '--rm', '-v', 'dfvol:/data', 'busybox', 'wc', '-c', '/data/f']), 'read the volume');
    assert.equal(data.stdout.trim(), '5000 /data/f');
    ok(await d.docker(['start', 'rebooted']), 'start again after the reboot');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Running}}', 'rebooted']), 'inspect').stdout.trim(), 'true');
    ok(await d.docker(['rm', '-f', 'rebooted']), 'rm');
  });
});
