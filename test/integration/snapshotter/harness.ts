import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../../src/core/run-command.js';
import { mountPoints } from '../../../src/drivers/snapshotter/mountinfo.js';
import { OverlaySnapshotter } from '../../../src/drivers/snapshotter/overlay-snapshotter.js';
import type { Snapshotter } from '../../../src/drivers/snapshotter/snapshotter.js';
import { VfsSnapshotter } from '../../../src/drivers/snapshotter/vfs-snapshotter.js';

export interface DriverCase {
  name: 'overlay2' | 'vfs';
  create(root: string): Promise<Snapshotter>;
}

/** Every implementation the conformance suite runs on. */
export const DRIVERS: readonly DriverCase[] = [
  {
    name: 'overlay2',
    async create(root) {
      const s = new OverlaySnapshotter(root);
      await s.init();
      return s;
    },
  },
  {
    name: 'vfs',
    async create(root) {
      const s = new VfsSnapshotter(root);
      await s.init();
      return s;
    },
  },
];

/**
 * A driver in its own `berth-test-snap-*` temp dir. Every rootfs made through `rootfs()` is
 * recorded, and `cleanup()` removes them, unmounts anything still mounted below the temp dir, and
 * only then deletes it, so a failed test never leaves a mount or deletes through one.
 */
export class SnapshotterFixture {
  private readonly rootfsIds = new Set<string>();
  private constructor(readonly base: string, readonly root: string, readonly snap: Snapshotter) {}

  static async create(driver: DriverCase): Promise<SnapshotterFixture> {
    const base = await mkdtemp(join(tmpdir(), 'berth-test-snap-'));
    const root = join(base, driver.name);
    return new SnapshotterFixture(base, root, await driver.create(root));
  }

  /** Creates and mounts a rootfs on `parent`; returns its mounted path. */
  async rootfs(id: string, parent: string | null): Promise<string> {
    this.rootfsIds.add(id);
    await this.snap.createRootfs(id, parent);
    return await this.snap.mountRootfs(id);
  }

  async cleanup(): Promise<void> {
    for (const id of this.rootfsIds) await this.snap.removeRootfs(id).catch(() => undefined);
    const ours = [...(await mountPoints())].filter((m) => m.startsWith(`${this.base}/`));
    for (const m of ours.sort().reverse()) await runCommand('umount', ['--lazy', m], { allowFailure: true });
    await rm(this.base, { recursive: true, force: true });
  }
}

/**
 * A tree as sorted lines `path type[ -> target| = content]`, for comparing whole trees at once.
 * Directories are descended; files show their content.
 */
export async function describeTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const rel = prefix + name;
    const st = await lstat(path);
    if (st.isDirectory()) {
      out.push(`${rel}/`);
      out.push(...(await describeTree(path, `${rel}/`)));
    } else if (st.isSymbolicLink()) out.push(`${rel} -> ${await readlink(path)}`);
    else if (st.isFile()) out.push(`${rel} = ${await readFile(path, 'utf8')}`);
    else out.push(`${rel} (special)`);
  }
  return out;
}
