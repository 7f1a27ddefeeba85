import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError, UnavailableError } from '../../../src/core/errors.js';
import { runCommand } from '../../../src/core/run-command.js';
import { chooseSnapshotter } from '../../../src/drivers/snapshotter/choose-snapshotter.js';
import { mountPoints } from '../../../src/drivers/snapshotter/mountinfo.js';

/** A fresh data root; with `onOverlay`, one that is itself an overlayfs mount, like docker-in-docker. */
async function withDataRoot(onOverlay: boolean, fn: (dataRoot: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'berth-test-snap-'));
  try {
    let dataRoot = join(base, 'data');
    await mkdir(dataRoot);
    if (onOverlay) {
      for (const d of ['lower', 'upper', 'work']) await mkdir(join(base, d));
      await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, dataRoot]);
      dataRoot = join(dataRoot, 'nested');
      await mkdir(dataRoot);
    }
    await fn(dataRoot);
  } finally {
    const ours = [...(await mountPoints())].filter((m) => m.startsWith(`${base}/`));
    for (const m of ours.sort().reverse()) await runCommand('umount', ['--lazy', m], { allowFailure: true });
    await rm(base, { recursive: true, force: true });
  }
}

describe('chooseSnapshotter', () => {
  it('uses overlay2 by default where overlay mounts, and cleans up its probe', async () => {
    await withDataRoot(false, async (dataRoot) => {
      const logs: string[] = [];
      const snap = await chooseSnapshotter(dataRoot, undefined, (m) => logs.push(m));
      assert.equal(snap.name, 'overlay2');
      assert.deepEqual(logs, []);
      assert.deepEqual((await readdir(join(dataRoot, 'overlay2'))).sort(), ['containers', 'empty', 'l', 'layers', 'tmp']);
      assert.equal((await chooseSnapshotter(dataRoot, 'overlay')).name, 'overlay2');
      assert.equal((await chooseSnapshotter(dataRoot, 'vfs')).name, 'vfs');
    });
  });

  it('falls back to vfs, saying why, where overlay cannot mount', async () => {
    await withDataRoot(true, async (dataRoot) => {
      const logs: string[] = [];
      const snap = await chooseSnapshotter(dataRoot, undefined, (m) => logs.push(m));
      assert.equal(snap.name, 'vfs');
      assert.equal(logs.length, 1);
      assert.match(logs[0] ?? '', /overlay2 is not usable/);
      await assert.rejects(chooseSnapshotter(dataRoot, 'overlay2'), UnavailableError);
      assert.deepEqual(await readdir(join(dataRoot, 'overlay2')), [], 'the probe is removed');
    });
  });

  it('rejects unknown drivers', async () => {
    await assert.rejects(chooseSnapshotter('/nonexistent', 'zfs'), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.equal(err.message, 'unknown storage driver "zfs": use overlay2 or vfs');
      return true;
    });
  });
});
