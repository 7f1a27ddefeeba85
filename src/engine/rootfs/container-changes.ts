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
import { getArchive, putArchive, statPath, type ContainerPathStat } from './container-archive.js';
import { rootfsParent } from './changes-source.js';
import { commitContainer, type CommitPause } from './commit-layer.js';
import type { Change } from '../../drivers/snapshotter/diff/change-types.js';
import { exportRootfs } from './export-rootfs.js';
import { liveMountsOf, type LiveMounts } from '../../drivers/fs-tree/live-mounts.js';
import { mountVolumesInto } from './volume-view.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ContainerRecord } from '../containers/container-types.js';
import { resolveUser } from '../containers/user-lookup.js';
import { ensureInitLayerFiles } from '../containers/rootfs-paths.js';

/** diff, commit, export and the archive (cp) API: a container's filesystem, seen from outside. */
export class ContainerChanges {
  constructor(private readonly d: { containers: ContainerService; images: ImageService; content: ContentStore; snapshotter: Snapshotter; log: Logger }) {}

  private parent(r: ContainerRecord): Promise<string | null> {
    return rootfsParent(this.d.images, r.Image);
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
   * Runs `fn` on the filesystem as the container's processes see it, as docker's archive API does
   * (cp, HEAD/GET/PUT archive). While it runs that is `/proc/<pid>/root`, so paths cross the
   * container's own mounts (the generated /etc files, volumes, tmpfs) and symlinks still resolve
   * inside it. Otherwise the rootfs is mounted with the binds and volumes bound onto it, under
   * the container's lock, as dockerd's mountVolumes does; `hold` keeps them until it settles (a
   * GET's tar being read). `fn` gets the root and, for a running container, its mounts.
   */
  private async withContainerFs<T>(r: ContainerRecord, fn: (root: string, live?: LiveMounts) => Promise<T>, hold?: (out: T) => Promise<void>): Promise<T> {
    const live = await this.liveRoot(r);
    if (live !== undefined) return await fn(live, await liveMountsOf(r.State.Pid, live));
    return await new Promise<T>((resolveOut, reject) => {
      this.d.containers
        .withFilesystem(r, async (running) => {
          const root = running ? await this.liveRoot(r) : undefined;
          if (root !== undefined) return resolveOut(await fn(root, await liveMountsOf(r.State.Pid, root)));
          const rootfs = await this.d.snapshotter.mountRootfs(r.Id);
          try {
            // docker's init layer is there from create on: a container never started shows it too.
            await ensureInitLayerFiles(rootfs);
            const unmountVolumes = await mountVolumesInto(rootfs, r.Mounts ?? []);
            try {
              const out = await fn(rootfs);
              resolveOut(out);
              await hold?.(out);
            } finally {
              await unmountVolumes();
            }
          } finally {
            if (!r.State.Running) await this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
          }
        })
        .catch(reject);
    });
  }

  /** `/proc/<pid>/root` of a running container; undefined when it does not run. */
  private async liveRoot(r: ContainerRecord): Promise<string | undefined> {
    if (!r.State.Running || r.State.Pid <= 0) return undefined;
    const root = `/proc/${r.State.Pid}/root`;
    return (await access(root).then(() => true, () => false)) ? root : undefined;
  }

  async diff(ref: string): Promise<Change[]> {
    const r = this.d.containers.get(ref);
    return this.d.snapshotter.changes(r.Id, await this.parent(r));
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
    const parent = await this.parent(r);
    const id = await this.withRootfs(r, async () =>
      commitContainer(
        { images: this.d.images, content: this.d.content },
        {
          parentImageId: r.Image as Digest,
          diff: () => this.d.snapshotter.diff(r.Id, parent, (m) => this.d.log.warn({ id: r.Id }, m)),
          containerId: r.Id,
          containerConfig: config,
          recordedContainerConfig: c as unknown as ImageRunConfig,
          changeInstructions: opts.changes,
          author: opts.author,
          comment: opts.comment,
          pause: pausable ? this.commitPause(r) : undefined,
        },
      ),
    );
    if (opts.repo) await this.d.images.tag(id, opts.repo, opts.tag);
    publishContainerEvent(this.d.images.publish, r, 'commit', { comment: opts.comment ?? '', imageID: id, imageRef: opts.repo ? familiarString(parseReference(`${opts.repo}:${opts.tag || 'latest'}`)) : '' });
    return id;
  }

  /**
   * docker's commit pauses a running container and ignores what the pause and unpause say: a
   * container that exits meanwhile (`busybox true` committed just after its start) is committed
   * as it is, not failed with "not running" (409) or the runtime's error on an exiting process.
   */
  private commitPause(r: ContainerRecord): CommitPause {
    const id = r.Id;
    let paused = false;
    // `r` is the registry's record, which the lifecycle updates in place (even past an --rm removal).
    const warn = (what: string) => (err: unknown): void => {
      // An exited container has nothing to pause or resume: only a running one is worth a warning.
      if (r.State.Running) this.d.log.warn({ err, id }, `commit: ${what} failed`);
    };
    // A commit's short pause changes nothing the kubelet sees: a pod's containers may be committed too.
    return {
      pause: async () => {
        await this.d.containers.pause(id, true, { pod: true }).then(() => (paused = true), warn('pause'));
      },
      unpause: async () => {
        if (paused && r.State.Paused) await this.d.containers.pause(id, false, { pod: true }).catch(warn('unpause'));
      },
    };
  }

  async export(ref: string): Promise<Readable> {
    const r = this.d.containers.get(ref);
    const root = await this.d.snapshotter.mountRootfs(r.Id);
    if (!r.State.Running) await ensureInitLayerFiles(root);
    const tar = exportRootfs(root, (m) => this.d.log.warn({ id: r.Id }, m));
    tar.once('close', () => {
      if (!this.d.containers.get(r.Id).State.Running) void this.d.snapshotter.unmountRootfs(r.Id).catch(() => undefined);
    });
    return tar;
  }

  async stat(ref: string, path: string): Promise<ContainerPathStat> {
    const r = this.d.containers.get(ref);
    return this.withContainerFs(r, (root) => statPath(root, path, r.Name.slice(1)));
  }

  async getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; tar: Readable }> {
    const r = this.d.containers.get(ref);
    const log = (m: string): void => this.d.log.warn({ id: r.Id }, m);
    return this.withContainerFs(
      r,
      (root, live) => getArchive(root, path, r.Name.slice(1), log, live),
      // The volumes stay bound until the tar is read or abandoned.
      (out) => new Promise<void>((done) => (out.tar.destroyed ? done() : out.tar.once('close', () => done()))),
    );
  }

  async putArchive(ref: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const r = this.d.containers.get(ref);
    await this.withContainerFs(r, async (root) => {
      const owner = opts.copyUIDGID ? await resolveUser(root, r.Config.User) : undefined;
      await putArchive(root, path, tar, {
        containerName: r.Name.slice(1),
        noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
        copyUIDGID: opts.copyUIDGID,
        ...(owner ? { owner: { uid: owner.uid, gid: owner.gid } } : {}),
        checkWritable: (destPath) => checkWritablePath(r, destPath),
        log: (m) => this.d.log.warn({ id: r.Id }, m),
      });
    });
  }
}

/**
 * docker's checkWritablePath: a destination in a mount is writable if that mount is (the deepest
 * one holding it decides); elsewhere unless the rootfs is read-only (`--read-only`).
 */
function checkWritablePath(r: ContainerRecord, destPath: string): void {
  const holding = (r.Mounts ?? [])
    .filter((m) => destPath === m.Destination || destPath.startsWith(m.Destination === '/' ? '/' : `${m.Destination}/`))
    .sort((a, b) => b.Destination.length - a.Destination.length)[0];
  if (holding) {
    if (!holding.RW) throw new InvalidParameterError('mounted volume is marked read-only');
    return;
  }
  if (r.HostConfig.ReadonlyRootfs === true) throw new InvalidParameterError('container rootfs is marked read-only');
}
