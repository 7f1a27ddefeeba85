import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { liveMountsOf, mountIdOfFd } from './live-mounts.js';

test("a process's mounts: every ID, and its kernel filesystems pruned below the root given", async () => {
  const root = `/proc/${process.pid}/root`;
  const live = await liveMountsOf(process.pid, root);
  assert.ok(live.pruned.has(`${root}/proc`));
  assert.ok(!live.pruned.has(`${root}/`) && !live.pruned.has(root));
  const fh = await open('/proc/self/mountinfo', 'r');
  try {
    const id = await mountIdOfFd(fh.fd);
    assert.ok(id !== undefined && live.ids.has(id), 'a file of this process lies on one of its mounts');
  } finally {
    await fh.close();
  }
});
