import type { Readable } from 'node:stream';
import { chainIds, digestHex, type Digest } from '../../core/digest.js';
import { InvalidParameterError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import { parseReference } from '../../oci/reference.js';
import type { ImageRunConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { ImageService } from '../images/image-service.js';
import { getArchive, putArchive, statPath, type ContainerPathStat } from './changes/container-archive.js';
import { commitContainer } from './changes/commit-layer.js';
import { diffChanges, type Change, type ChangesSource } from './changes/container-diff.js';
import { exportRootfs } from './changes/export-rootfs.js';
import type { ContainerService } from './container-service.js';
import type { ContainerRecord } from './container-types.js';
import { resolveUser } from './user-lookup.js';

/** diff, commit, export and the archive (cp) API: a container's filesystem, seen from outside. */
export class ContainerChanges {
  constructor(private readonly d: { containers: ContainerService; images: ImageService; content: ContentStore; snapshotter: Snapshotter; log: Logger }) {}

  private async source(r: ContainerRecord): Promise<ChangesSource> {
    const upper = this.d.snapshotter.rootfsChangesDir(r.Id);
    if (upper) {
      const lower = this.d.snapshotter.rootfsData(r.Id).LowerDir;
      return { upperDir: upper, lowerDirs: lower ? lower.split(':') : [] };
    }
    const img = await this.d.images.resolve(r.Image);
    const chains = chainIds(img.record.layers.map((l) => l.diffId));
    const top = chains[chains.length - 1];
    return { rootfs: await this.d.snapshotter.mountRootfs(r.Id), baseDir: top ? this.d.snapshotter.layerPath(digestHex(top)) : null };
  }

  /** Runs `fn` on the mounted rootfs, unmounting again if the container is not running. */
  private async withRootfs<T>(r: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const root = await this.d.snapshotter.mountRootfs(r.Id);
    try {
      return await fn(root);
    } finally {
      if (!this.d.containers.get(r.Id).State.Running) await this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
    }
  }

  async diff(ref: string): Promise<Change[]> {
    const r = this.d.containers.get(ref);
    return diffChanges(await this.source(r));
  }

  async commit(ref: string, opts: { repo?: string; tag?: string; author?: string; comment?: string; changes: string[]; pause: boolean }): Promise<Digest> {
    const r = this.d.containers.get(ref);
    if (opts.repo) {
      const parsed = parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo);
      if (parsed.digest !== undefined) throw new InvalidParameterError(`invalid reference format: a commit cannot be tagged with a digest`);
    }
    const c = r.Config;
    const config: ImageRunConfig = {
      ...(c.User ? { User: c.User } : {}),
      ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
      Env: c.Env,
      Cmd: c.Cmd,
      ...(c.Volumes ? { Volumes: c.Volumes } : {}),
      ...(c.WorkingDir ? { WorkingDir: c.WorkingDir } : {}),
      Entrypoint: c.Entrypoint,
      OnBuild: null,
      Labels: c.Labels,
      ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    };
    const pausable = opts.pause && r.State.Running && !r.State.Paused;
    const id = await this.withRootfs(r, async () =>
      commitContainer(
        { images: this.d.images, content: this.d.content },
        {
          parentImageId: r.Image as Digest,
          changes: await this.source(r),
          containerId: r.Id,
          containerConfig: config,
          changeInstructions: opts.changes,
          author: opts.author,
          comment: opts.comment,
          pause: pausable ? { pause: () => this.d.containers.pause(r.Id, true), unpause: () => this.d.containers.pause(r.Id, false) } : undefined,
          log: (m) => this.d.log.warn({ id: r.Id }, m),
        },
      ),
    );
    if (opts.repo) await this.d.images.tag(id, opts.repo, opts.tag);
    return id;
  }

  async export(ref: string): Promise<Readable> {
    const r = this.d.containers.get(ref);
    const root = await this.d.snapshotter.mountRootfs(r.Id);
    const tar = exportRootfs(root, (m) => this.d.log.warn({ id: r.Id }, m));
    tar.once('close', () => {
      if (!this.d.containers.get(r.Id).State.Running) void this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
    });
    return tar;
  }

  async stat(ref: string, path: string): Promise<ContainerPathStat> {
    const r = this.d.containers.get(ref);
    return this.withRootfs(r, (root) => statPath(root, path, r.Name.slice(1)));
  }

  async getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; tar: Readable }> {
    const r = this.d.containers.get(ref);
    const root = await this.d.snapshotter.mountRootfs(r.Id);
    const out = await getArchive(root, path, r.Name.slice(1), (m) => this.d.log.warn({ id: r.Id }, m));
    out.tar.once('close', () => {
      if (!this.d.containers.get(r.Id).State.Running) void this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
    });
    return out;
  }

  async putArchive(ref: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const r = this.d.containers.get(ref);
    await this.withRootfs(r, async (root) => {
      const owner = opts.copyUIDGID ? await resolveUser(root, r.Config.User) : undefined;
      await putArchive(root, path, tar, {
        containerName: r.Name.slice(1),
        noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
        copyUIDGID: opts.copyUIDGID,
        ...(owner ? { owner: { uid: owner.uid, gid: owner.gid } } : {}),
        log: (m) => this.d.log.warn({ id: r.Id }, m),
      });
    });
  }
}
