import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchDir } from '../../core/scratch-dir.js';
import { installNativeOps, uninstallNativeOps } from '../../core/native-ops.js';
import { hostAddon } from './host-addon.js';

test('removeTree deletes a whole tree, follows no symlink out of it, and is fine with nothing there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rmtree-'));
  try {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'kept');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(tree, 'a', `f${i}`), `${i}`);
    writeFileSync(join(tree, 'a', 'b', 'c', 'deep'), 'x');
    symlinkSync(outside, join(tree, 'link-to-dir'));
    symlinkSync(join(outside, 'keep'), join(tree, 'a', 'link-to-file'));
    symlinkSync('/nonexistent', join(tree, 'dangling'));
    await hostAddon().removeTree(tree);
    assert.equal(existsSync(tree), false);
    assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'kept');
    await hostAddon().removeTree(join(dir, 'never-was'));
    await hostAddon().removeTree(join(outside, 'keep'));
    assert.equal(existsSync(join(outside, 'keep')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('removeTree never enters a mount inside the tree: the removal fails there (ENOTEMPTY) and what the mount holds stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rmtree-'));
  const mnt = join(dir, 'tree', 'mnt');
  mkdirSync(mnt, { recursive: true });
  const addon = hostAddon();
  try {
    await addon.mount('tmpfs', mnt, 'tmpfs', 0, 'size=1m');
  } catch (err) {
    t.skip(`cannot mount a tmpfs here: ${(err as Error).message}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    writeFileSync(join(mnt, 'inside'), 'safe');
    writeFileSync(join(dir, 'tree', 'beside'), 'x');
    await assert.rejects(addon.removeTree(join(dir, 'tree')), (e: NodeJS.ErrnoException) => (e.code === 'ENOTEMPTY' || e.code === 'EBUSY') && /removing .*tree/.test(e.message));
    assert.equal(readFileSync(join(mnt, 'inside'), 'utf8'), 'safe');
  } finally {
    await addon.umount(mnt, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ScratchDir.removeTree goes through the native removal when berthd installs it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rmtree-'));
  let calls = 0;
  installNativeOps({ removeTree: async (p) => (calls++, await hostAddon().removeTree(p)) });
  try {
    const scratch = new ScratchDir(join(dir, 'tmp'));
    await scratch.init();
    mkdirSync(join(dir, 'layer', 'x'), { recursive: true });
    writeFileSync(join(dir, 'layer', 'x', 'f'), 'y');
    await scratch.removeTree(join(dir, 'layer'));
    assert.equal(existsSync(join(dir, 'layer')), false);
    assert.equal(calls, 1);
  } finally {
    uninstallNativeOps();
    rmSync(dir, { recursive: true, force: true });
  }
});
