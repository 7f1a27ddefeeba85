import { access } from 'node:fs/promises';
import { publishContainerEvent } from '../events/container-events.js';
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.js';
import { InvalidParameterError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import { familiarString, parseReference } from '../../oci/reference.js';
import type { ImageRunConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { ImageService } from '../images/image-service.js';
import { getArchive, putArchive, statPath, type ContainerPathStat } from './changes/container-archive.js';
import { changesSourceOf } from './changes/changes-source.js';
import { commitContainer } from './changes/commit-layer.js';
import { diffChanges, type Change, type ChangesSource } from './changes/container-diff.js';
import { exportRootfs } from './changes/export-rootfs.js';
import { liveMountsOf } from './changes/live-mounts.js';
import type { ContainerService } from './container-service.js';
import type { ContainerRecord } from './container-types.js';
import { resolveUser } from './user-lookup.js';

/** diff, commit, export and the archive (cp) API: a container's filesystem, seen from outside. */
export class ContainerChanges {
  constructor(private readonly d: { containers: ContainerService; images: ImageService; content: ContentStore; snapshotter: Snapshotter; log: Logger }) {}

  private source(r: ContainerRecord): Promise<ChangesSource> {
    return changesSourceOf(this.d, r);
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

  /**
   * The filesystem as the container's processes see it, for cp: while it runs that is
   * `/proc/<pid>/root`, so paths cross the container's own mounts (the generated /etc files,
   * volumes, tmpfs) as they do for docker's archive API, and symlinks still resolve inside it.
   * Undefined for a stopped container, which has only its rootfs.
   */
  private async liveRoot(r: ContainerRecord): Promise<string | undefined> {
    if (!r.State.Running || r.State.Pid <= 0) return undefined;
    const root = `/proc/${r.State.Pid}/root`;
    return (await access(root).then(() => true, () => false)) ? root : undefined;
  }

  private async withLiveRoot<T>(r: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const live = await this.liveRoot(r);
    return live !== undefined ? fn(live) : this.withRootfs(r, fn);
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
      ...(c.Healthcheck ? { Healthcheck: c.Healthcheck as NonNullable<ImageRunConfig['Healthcheck']> } : {}),
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
    publishContainerEvent(this.d.images.publish, r, 'commit', { comment: opts.comment ?? '', imageID: id, imageRef: opts.repo ? familiarString(parseReference(`${opts.repo}:${opts.tag || 'latest'}`)) : '' });
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
    return this.withLiveRoot(r, (root) => statPath(root, path, r.Name.slice(1)));
  }

  async getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; tar: Readable }> {
    const r = this.d.containers.get(ref);
    const live = await this.liveRoot(r);
    if (live !== undefined) {
      return getArchive(live, path, r.Name.slice(1), (m) => this.d.log.warn({ id: r.Id }, m), await liveMountsOf(r.State.Pid, live));
    }
    const root = await this.d.snapshotter.mountRootfs(r.Id);
    const out = await getArchive(root, path, r.Name.slice(1), (m) => this.d.log.warn({ id: r.Id }, m));
    out.tar.once('close', () => {
      if (!this.d.containers.get(r.Id).State.Running) void this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
    });
    return out;
  }

  async putArchive(ref: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const r = this.d.containers.get(ref);
    await this.withLiveRoot(r, async (root) => {
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
