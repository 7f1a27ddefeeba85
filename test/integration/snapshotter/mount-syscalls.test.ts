import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountSyscall, umountSyscall, unmountIfMounted } from '../../../src/drivers/mounts/mount-syscalls.js';
import { isMountPoint } from '../../../src/drivers/snapshotter/mountinfo.js';
import { probeOverlay } from '../../../src/drivers/snapshotter/overlay-mount.js';
import { mountsUnder, unmountUnder } from '../../helpers/mounts.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-test-mount-'));
  try {
    await fn(dir);
  } finally {
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

test('mount(2) and umount2(2) through the addon; the kernel\'s errors keep their names', async () => {
  await withDir(async (dir) => {
    const target = join(dir, 'm');
    await mkdir(target);
    await mountSyscall('tmpfs', target, 'tmpfs', 0, 'size=1m,mode=0750');
    assert.deepEqual(await mountsUnder(dir), [target]);
    await writeFile(join(target, 'f'), 'x');
    await umountSyscall(target);
    assert.deepEqual(await mountsUnder(dir), []);
    await assert.rejects(mountSyscall('none', target, 'no-such-fs', 0, null), { code: 'ENODEV' });
    await assert.rejects(umountSyscall(target), { code: 'EINVAL' }, 'not a mount point');
    await assert.rejects(umountSyscall(join(dir, 'missing')), { code: 'ENOENT' });
  });
});

test('unmountIfMounted: nothing to do for a plain or missing dir; a busy mount is detached lazily', async () => {
  await withDir(async (dir) => {
    const target = join(dir, 'm');
    await mkdir(target);
    await unmountIfMounted(target);
    await unmountIfMounted(join(dir, 'missing'));
    await mountSyscall('tmpfs', target, 'tmpfs', 0, null);
    const busy = await open(join(target, 'held'), 'w');
    try {
      await unmountIfMounted(target);
      assert.deepEqual(await mountsUnder(dir), [], 'detached although a file in it is open');
      await busy.writeFile('still writable through the open file');
    } finally {
      await busy.close();
    }
  });
});

test("overlay mounts where the root's path holds ',' or ':', which mount(2)'s options cannot carry", async () => {
  await withDir(async (dir) => {
    for (const name of ['plain', 'a,b', 'c:d']) {
      assert.equal(await probeOverlay(join(dir, name, 'probe')), null, name);
    }
    assert.deepEqual(await mountsUnder(dir), []);
  });
});

test('isMountPoint: a filesystem mounted there (also through a symlink); not a plain, missing or parent dir', async () => {
  await withDir(async (dir) => {
    const target = join(dir, 'm');
    await mkdir(target);
    assert.equal(await isMountPoint(target), false, 'a plain dir');
    assert.equal(await isMountPoint(join(dir, 'missing')), false, 'a missing path');
    await mountSyscall('tmpfs', target, 'tmpfs', 0, 'size=1m');
    await mkdir(join(target, 'inside'));
    await symlink(target, join(dir, 'link'));
    assert.equal(await isMountPoint(target), true, 'a tmpfs');
    assert.equal(await isMountPoint(join(dir, 'link')), true, 'through a symlink');
    assert.equal(await isMountPoint(join(target, 'inside')), false, 'a dir inside the mount');
    assert.equal(await isMountPoint(dir), false, 'the dir holding the mount');
    assert.equal(await isMountPoint('/'), true);
    await umountSyscall(target);
    assert.equal(await isMountPoint(target), false, 'after the unmount');
  });
});
