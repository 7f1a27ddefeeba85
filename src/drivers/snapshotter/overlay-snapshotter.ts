import { opaqueXattr } from '../fs-tree/read-xattrs.js';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, readlink, rm, symlink, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError, SystemError, errnoCode, errorMessage } from '../../core/errors.js';
import { atomicWriteFile, fsyncDir } from '../../core/atomic-write.js';
import { runCommand } from '../../core/run-command.js';
import { applyLayerTar, type WhiteoutHandler } from './apply-layer-tar.js';
import { asBerthError } from './host-error.js';
import { isMountPoint } from './mountinfo.js';
import { mountOverlay } from './overlay-mount.js';
import { unmountIfMounted } from '../mounts/mount-syscalls.js';
import { ScratchDir } from '../../core/scratch-dir.js';
import { assertSafeName, mkdirMode, pathExists, renameIntoPlace } from './scratch-dir.js';
import type { DetachedLayer, GraphDriverData, LayerApplyResult, Snapshotter } from './snapshotter.js';
import type { Change } from './diff/change-types.js';
import { changesSize } from './diff/changes-size.js';
import { diffChanges } from './diff/container-diff.js';
import { changesTar } from './diff/layer-diff.js';
import { removeMountStubs } from './diff/mount-stubs.js';

/** OCI whiteouts in overlayfs' own form, so the kernel hides lower files at mount time. */
const overlayWhiteouts: WhiteoutHandler = {
  async onWhiteout(dirAbs, name) {
    const path = `${dirAbs}/${name}`;
    await rm(path, { recursive: true, force: true });
    await runCommand('mknod', ['-m', '000', path, 'c', '0', '0']);
  },
  async onOpaque(dirAbs) {
    await runCommand('setfattr', ['-n', opaqueXattr(), '-v', 'y', dirAbs]);
  },
};

/**
 * overlayfs storage, laid out like docker's overlay2 under `root`:
 *
 *   layers/<id>/diff     the layer's own files, with whiteout devices and opaque xattrs
 *   layers/<id>/lower    ancestor layer IDs, nearest first, one per line (empty for a base layer)
 *   layers/<id>/link     the layer's short name
 *   l/<short>            symlink to ../layers/<id>/diff: 13-byte lowerdir entries keep the mount
 *                        options of ~250 layers under one page (64-hex IDs would allow ~55)
 *   containers/<id>/     upper/ work/ merged/ and lower (parent chain, as for layers)
 *   empty/               the lowerdir of a rootfs without parent (overlay needs one)
 *   tmp/                 scratch: builds renamed into place, removed trees (see ScratchDir)
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly name = 'overlay2' as const;
  private readonly root: string;
  private readonly scratch: ScratchDir;
  private readonly mounting = new Map<string, Promise<string>>();

  constructor(root: string, private readonly log: (msg: string) => void = () => undefined) {
    this.root = resolve(root);
    this.scratch = new ScratchDir(join(this.root, 'tmp'));
  }

  async init(): Promise<void> {
    for (const dir of ['layers', 'l', 'containers', 'empty']) await mkdir(join(this.root, dir), { recursive: true, mode: 0o700 });
    await this.scratch.init();
    // A crash between creating a short link and renaming its layer into place leaves it dangling.
    for (const short of await readdir(join(this.root, 'l'))) {
      const link = join(this.root, 'l', short);
      const target = await readlink(link).catch(() => null);
      if (target === null || !(await pathExists(join(this.root, 'l', target)))) await rm(link, { recursive: true, force: true });
    }
  }

  async createLayer(id: string, parent: string | null, tar: Readable): Promise<LayerApplyResult> {
    // The layer's place and parent are checked before the unpack, so a bad one fails before any work.
    const ancestors = await this.ancestorsFor(id, parent);
    const { build, size } = await this.unpack(tar, `cannot create layer "${id}"`);
    await this.place(id, ancestors, build);
    return { size };
  }

  /**
   * An overlay layer's directory holds only its own files, whatever lies below: the unpack needs
   * no parent, so a load can unpack a layer while its archive still streams, before the manifest
   * that says what the layer is (and stacks on) has arrived.
   */
  async unpackDetached(tar: Readable): Promise<DetachedLayer> {
    const { build, size } = await this.unpack(tar, 'cannot unpack a layer');
    let settled = false;
    const settle = (): void => {
      if (settled) throw new ConflictError('this unpacked layer was already placed or discarded');
      settled = true;
    };
    return {
      size,
      adopt: async (id, parent) => {
        settle();
        const ancestors = await this.ancestorsFor(id, parent).catch(async (err: unknown) => {
          await this.scratch.discard(build);
          throw err;
        });
        await this.place(id, ancestors, build);
      },
      discard: async () => {
        settle();
        await this.scratch.discard(build);
      },
    };
  }

  /** The ancestors, nearest first, of a layer `id` to be made on `parent`; refuses an `id` in use. */
  private async ancestorsFor(id: string, parent: string | null): Promise<string[]> {
    assertSafeName('layer', id);
    if (await this.hasLayer(id)) throw new ConflictError(`layer "${id}" already exists`);
    return parent === null ? [] : [parent, ...(await this.readChain(this.layerDir(parent), 'layer', parent))];
  }

  /** The tar's files in diff/ of a new scratch directory; nothing is left on failure. */
  private async unpack(tar: Readable, what: string): Promise<{ build: string; size: number }> {
    const build = await this.scratch.create();
    try {
      await mkdirMode(join(build, 'diff'), 0o755);
      return { build, size: await applyLayerTar(join(build, 'diff'), tar, overlayWhiteouts, this.log) };
    } catch (err) {
      await this.scratch.discard(build);
      throw asBerthError(what, err);
    }
  }

  /** The unpacked `build` becomes layer `id` on `ancestors`; on failure nothing of it is left. */
  private async place(id: string, ancestors: string[], build: string): Promise<void> {
    let shortLink: string | null = null;
    try {
      await atomicWriteFile(join(build, 'lower'), ancestors.join('\n'));
      const short = await this.newShortName();
      await atomicWriteFile(join(build, 'link'), short);
      shortLink = join(this.root, 'l', short);
      await symlink(`../layers/${id}/diff`, shortLink);
      await renameIntoPlace(build, this.layerDir(id), `layer "${id}"`);
    } catch (err) {
      if (shortLink !== null) await unlink(shortLink).catch(() => undefined);
      await this.scratch.discard(build);
      throw asBerthError(`cannot create layer "${id}"`, err);
    }
  }

  async hasLayer(id: string): Promise<boolean> {
    return await pathExists(this.layerDir(id));
  }

  async removeLayer(id: string): Promise<void> {
    assertSafeName('layer', id);
    const short = await readFile(join(this.layerDir(id), 'link'), 'utf8').catch(() => null);
    try {
      // Layer first, then its link: a crash in between leaves a dangling link that init removes.
      await this.scratch.removeTree(this.layerDir(id));
      if (short !== null) await rm(join(this.root, 'l', short.trim()), { force: true });
    } catch (err) {
      throw asBerthError(`cannot remove layer "${id}"`, err);
    }
  }

  async listLayers(): Promise<string[]> {
    return (await readdir(join(this.root, 'layers'))).sort();
  }

  layerData(id: string): GraphDriverData {
    const dir = this.layerDir(id);
    return {
      ...this.lowerDirData(dir),
      MergedDir: join(dir, 'merged'),
      UpperDir: join(dir, 'diff'),
      WorkDir: join(dir, 'work'),
    };
  }

  async createRootfs(id: string, parent: string | null): Promise<void> {
    assertSafeName('container', id);
    if (await pathExists(this.containerDir(id))) throw new ConflictError(`rootfs "${id}" already exists`);
    const chain = parent === null ? [] : [parent, ...(await this.readChain(this.layerDir(parent), 'layer', parent))];
    const build = await this.scratch.create();
    try {
      await Promise.all(['upper', 'work', 'merged'].map((sub) => mkdirMode(join(build, sub), 0o755)));
      // Nothing reads the scratch directory: `lower` needs no rename of its own. Its content and
      // the directory's entries are fsynced side by side (the waits overlap), before the one
      // rename into place.
      const lower = await open(join(build, 'lower'), 'w', 0o644);
      try {
        await lower.writeFile(chain.join('\n'));
        await Promise.all([lower.sync(), fsyncDir(build)]);
      } finally {
        await lower.close();
      }
      await renameIntoPlace(build, this.containerDir(id), `rootfs "${id}"`);
    } catch (err) {
      await this.scratch.discard(build);
      throw asBerthError(`cannot create rootfs "${id}"`, err);
    }
  }

  async mountRootfs(id: string): Promise<string> {
    assertSafeName('container', id);
    // Two concurrent mounts of one rootfs would both find it unmounted and stack two overlays.
    const pending = this.mounting.get(id);
    if (pending) return await pending;
    const mounting = this.mount(id).finally(() => this.mounting.delete(id));
    this.mounting.set(id, mounting);
    return await mounting;
  }

  private async mount(id: string): Promise<string> {
    const dir = this.containerDir(id);
    const merged = join(dir, 'merged');
    const chain = await this.readChain(dir, 'rootfs', id);
    if (await isMountPoint(merged)) return merged;
    const lower = chain.length === 0 ? ['empty'] : await Promise.all(chain.map(async (layer) => `l/${await this.shortName(layer)}`));
    await mountOverlay({ cwd: this.root, lower, upper: `containers/${id}/upper`, work: `containers/${id}/work`, target: merged });
    return merged;
  }

  async unmountRootfs(id: string): Promise<void> {
    assertSafeName('container', id);
    await unmountIfMounted(join(this.containerDir(id), 'merged'));
  }

  async removeRootfs(id: string): Promise<void> {
    assertSafeName('container', id);
    const merged = join(this.containerDir(id), 'merged');
    await unmountIfMounted(merged);
    // Never recurse into a live mount: that would delete through it.
    if (await isMountPoint(merged)) throw new SystemError(`cannot remove rootfs "${id}": ${merged} is still mounted`);
    await this.scratch.removeTree(this.containerDir(id)).catch((err: unknown) => {
      throw asBerthError(`cannot remove rootfs "${id}"`, err);
    });
  }

  rootfsData(id: string): GraphDriverData {
    const dir = this.containerDir(id);
    return {
      ...this.lowerDirData(dir),
      MergedDir: join(dir, 'merged'),
      UpperDir: join(dir, 'upper'),
      WorkDir: join(dir, 'work'),
    };
  }

  layerPath(id: string): string {
    return join(this.layerDir(id), 'diff');
  }

  // overlay keeps exactly the changes in the upper dir; whiteouts and opaque dirs say what went.
  changes(id: string): Promise<Change[]> {
    return diffChanges(this.changesSource(id));
  }

  diff(id: string, _parent: string | null, log?: (msg: string) => void): Readable {
    return changesTar(this.changesSource(id), log);
  }

  diffSize(id: string): Promise<number> {
    return changesSize(this.changesSource(id));
  }

  removeMountStubs(id: string, targets: readonly string[]): Promise<void> {
    const { upperDir, lowerDirs } = this.changesSource(id);
    return removeMountStubs(upperDir, lowerDirs, targets);
  }

  private changesSource(id: string): { upperDir: string; lowerDirs: string[] } {
    assertSafeName('container', id);
    const lower = this.rootfsData(id).LowerDir;
    return { upperDir: join(this.containerDir(id), 'upper'), lowerDirs: lower ? lower.split(':') : [] };
  }

  private layerDir(id: string): string {
    return join(this.root, 'layers', id);
  }

  private containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  /** The layer IDs below a layer or rootfs dir, nearest first; NotFoundError if it does not exist. */
  private async readChain(dir: string, what: string, id: string): Promise<string[]> {
    try {
      return splitChain(await readFile(join(dir, 'lower'), 'utf8'));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`${what} "${id}" not found`, { cause: err });
      throw new SystemError(`cannot read ${what} "${id}": ${errorMessage(err)}`, { cause: err });
    }
  }

  /** GraphDriver data is synchronous in the contract; the lower file is a few lines. */
  private lowerDirData(dir: string): GraphDriverData {
    let chain: string[];
    try {
      chain = splitChain(readFileSync(join(dir, 'lower'), 'utf8'));
    } catch {
      return {};
    }
    return chain.length === 0 ? {} : { LowerDir: chain.map((layer) => join(this.layerDir(layer), 'diff')).join(':') };
  }

  private async shortName(layer: string): Promise<string> {
    try {
      return (await readFile(join(this.layerDir(layer), 'link'), 'utf8')).trim();
    } catch (err) {
      throw new NotFoundError(`layer "${layer}" not found`, { cause: err });
    }
  }

  private async newShortName(): Promise<string> {
    for (;;) {
      // 10 base-36 characters (~51 bits): collisions are checked, just unlikely.
      const name = BigInt(`0x${randomBytes(8).toString('hex')}`).toString(36).padStart(10, '0').slice(-10);
      if (!(await pathExists(join(this.root, 'l', name)))) return name;
    }
  }
}

function splitChain(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
