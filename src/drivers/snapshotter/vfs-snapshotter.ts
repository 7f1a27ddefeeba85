import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { applyLayerTar, type WhiteoutHandler } from './apply-layer-tar.js';
import { asBerthError } from './host-error.js';
import { ScratchDir } from '../../core/scratch-dir.js';
import { assertSafeName, mkdirMode, pathExists, renameIntoPlace } from './scratch-dir.js';
import type { GraphDriverData, LayerApplyResult, Snapshotter } from './snapshotter.js';
import type { Change } from './diff/change-types.js';
import { changesSize } from './diff/changes-size.js';
import { diffChanges } from './diff/container-diff.js';
import { changesTar } from './diff/layer-diff.js';

/** Each vfs layer is a full tree, so whiteouts simply delete what the copied parent had. */
const vfsWhiteouts: WhiteoutHandler = {
  async onWhiteout(dirAbs, name) {
    await rm(`${dirAbs}/${name}`, { recursive: true, force: true });
  },
  async onOpaque(dirAbs, writtenByLayer) {
    await removeUnwritten(dirAbs, writtenByLayer);
  },
};

/**
 * Empties `dir` of what lower layers put there, keeping what this layer wrote before the opaque
 * marker. Like docker, it descends into kept directories: a kept `a/` may still hold lower `a/x`.
 */
async function removeUnwritten(dir: string, written: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (!written.has(path)) await rm(path, { recursive: true, force: true });
    else if (entry.isDirectory()) await removeUnwritten(path, written);
  }
}

/** `cp -a` keeps owners, modes, times, xattrs, devices and hardlinks; reflinks make it cheap where the fs can. */
async function copyTree(from: string, to: string): Promise<void> {
  await runCommand('cp', ['-a', '--reflink=auto', '--', from, to]);
}

/**
 * Plain-directory storage that works on any filesystem, at the cost of a full copy per layer and
 * per container (like docker's vfs):
 *
 *   layers/<id>/              the complete tree of the image up to this layer
 *   containers/<id>/rootfs/   the container's copy of its image; "mounting" it is a no-op
 *   tmp/                      scratch: builds renamed into place, removed trees (see ScratchDir)
 */
export class VfsSnapshotter implements Snapshotter {
  readonly name = 'vfs' as const;
  private readonly root: string;
  private readonly scratch: ScratchDir;

  constructor(root: string, private readonly log: (msg: string) => void = () => undefined) {
    this.root = resolve(root);
    this.scratch = new ScratchDir(join(this.root, 'tmp'));
  }

  async init(): Promise<void> {
    for (const dir of ['layers', 'containers']) await mkdir(join(this.root, dir), { recursive: true, mode: 0o700 });
    await this.scratch.init();
  }

  async createLayer(id: string, parent: string | null, tar: Readable): Promise<LayerApplyResult> {
    assertSafeName('layer', id);
    if (await this.hasLayer(id)) throw new ConflictError(`layer "${id}" already exists`);
    if (parent !== null && !(await this.hasLayer(parent))) throw new NotFoundError(`layer "${parent}" not found`);
    const build = await this.scratch.create();
    try {
      const tree = join(build, 'layer');
      await this.makeTree(parent, tree);
      const size = await applyLayerTar(tree, tar, vfsWhiteouts, this.log);
      await renameIntoPlace(tree, this.layerDir(id), `layer "${id}"`);
      return { size };
    } catch (err) {
      throw asBerthError(`cannot create layer "${id}"`, err);
    } finally {
      await this.scratch.discard(build);
    }
  }

  async hasLayer(id: string): Promise<boolean> {
    return await pathExists(this.layerDir(id));
  }

  async removeLayer(id: string): Promise<void> {
    assertSafeName('layer', id);
    await this.scratch.removeTree(this.layerDir(id)).catch((err: unknown) => {
      throw asBerthError(`cannot remove layer "${id}"`, err);
    });
  }

  async listLayers(): Promise<string[]> {
    return (await readdir(join(this.root, 'layers'))).sort();
  }

  layerData(_id: string): GraphDriverData {
    return {}; // docker's vfs reports no data for image layers either
  }

  async createRootfs(id: string, parent: string | null): Promise<void> {
    assertSafeName('container', id);
    if (await pathExists(this.containerDir(id))) throw new ConflictError(`rootfs "${id}" already exists`);
    if (parent !== null && !(await this.hasLayer(parent))) throw new NotFoundError(`layer "${parent}" not found`);
    const build = await this.scratch.create();
    try {
      await this.makeTree(parent, join(build, 'rootfs'));
      await renameIntoPlace(build, this.containerDir(id), `rootfs "${id}"`);
    } catch (err) {
      await this.scratch.discard(build);
      throw asBerthError(`cannot create rootfs "${id}"`, err);
    }
  }

  async mountRootfs(id: string): Promise<string> {
    assertSafeName('container', id);
    const rootfs = this.rootfsDir(id);
    if (!(await pathExists(rootfs))) throw new NotFoundError(`rootfs "${id}" not found`);
    return rootfs;
  }

  async unmountRootfs(id: string): Promise<void> {
    assertSafeName('container', id); // nothing is mounted
  }

  async removeRootfs(id: string): Promise<void> {
    assertSafeName('container', id);
    await this.scratch.removeTree(this.containerDir(id)).catch((err: unknown) => {
      throw asBerthError(`cannot remove rootfs "${id}"`, err);
    });
  }

  rootfsData(id: string): GraphDriverData {
    return { Dir: this.rootfsDir(id) };
  }

  layerPath(id: string): string {
    return this.layerDir(id);
  }

  // A full copy: the changes are what differs from the parent layer's tree (docker's naive diff).
  async changes(id: string, parent: string | null): Promise<Change[]> {
    return diffChanges(await this.changesSource(id, parent));
  }

  diff(id: string, parent: string | null, log?: (msg: string) => void): Readable {
    return changesTar({ rootfs: this.rootfsDir(id), baseDir: parent === null ? null : this.layerDir(parent) }, log);
  }

  async diffSize(id: string, parent: string | null): Promise<number> {
    return changesSize(await this.changesSource(id, parent));
  }

  async removeMountStubs(id: string): Promise<void> {
    assertSafeName('container', id); // a stub cannot be told from the image's own empty file
  }

  private async changesSource(id: string, parent: string | null): Promise<{ rootfs: string; baseDir: string | null }> {
    return { rootfs: await this.mountRootfs(id), baseDir: parent === null ? null : this.layerDir(parent) };
  }

  /** A copy of `parent`'s tree at `dest` (which must not exist), or an empty root. */
  private async makeTree(parent: string | null, dest: string): Promise<void> {
    if (parent === null) await mkdirMode(dest, 0o755);
    else await copyTree(this.layerDir(parent), dest);
  }

  private layerDir(id: string): string {
    return join(this.root, 'layers', id);
  }

  private containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  private rootfsDir(id: string): string {
    return join(this.containerDir(id), 'rootfs');
  }
}
