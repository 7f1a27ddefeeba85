import { posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../../../core/digest.js';
import { MEDIA_TYPES, hostPlatform, type ImageConfig, type ImageRunConfig } from '../../../oci/image-types.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { ImageService } from '../../images/image-service.js';
import { applyChanges } from '../../images/archive/change-parser.js';
import { LeaseSet } from '../../images/archive/lease-set.js';
import { CHANGE_DELETED, type ChangesSource } from './change-types.js';
import { buildCommitConfig } from './commit-config.js';
import { sortChanges } from './container-diff.js';
import { isWhiteoutDevice, mtimeSeconds, readMetaOrNull } from './file-meta.js';
import { naiveChanges } from './naive-changes.js';
import { OPAQUE_XATTR, readXattrs, readXattrTree } from './read-xattrs.js';
import { packTar } from './tar-packer.js';
import { isInitDir, isInitFile } from './init-paths.js';
import { LowerView, type LowerDir, type LowerEntry } from './lower-view.js';
import { sortedNames, walkTree, type TreeEntry } from './walk-tree.js';
import { isoTime } from '../../../core/utc-time.js';

/** The digest of a tar with no entries (two zero blocks): docker's layer.DigestSHA256EmptyTar. */
export const EMPTY_TAR_DIGEST = sha256Digest(Buffer.alloc(1024));

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The container's changes as an uncompressed OCI layer tar: what it added or changed, with mode,
 * owner, mtime, xattrs (not overlayfs' own), symlinks, hardlinks and devices; `.wh.<name>` for
 * what it deleted and `.wh..wh..opq` in a directory it emptied and recreated. Entries come in a
 * fixed order, so an unchanged container gives the same bytes each time.
 */
export function changesTar(source: ChangesSource, log?: (msg: string) => void): Readable {
  return 'upperDir' in source
    ? upperDirTar(resolve(source.upperDir), new LowerView(source.lowerDirs.map((d) => resolve(d))), log)
    : naiveTar(resolve(source.rootfs), source.baseDir, log);
}

/**
 * overlay2: the upper dir holds exactly the changes; only whiteouts need translating (as docker's
 * overlay2 Diff), and the runtime's mount points for what the image lacked are left out (docker
 * keeps those in its init layer, see init-paths.ts).
 */
function upperDirTar(upperDir: string, lower: LowerView, log: ((msg: string) => void) | undefined): Readable {
  return packTar({ confineTo: upperDir, ...(log ? { log } : {}) }, async (packer) => {
    const xattrs = await readXattrTree(upperDir);
    for await (const entry of walkTree(upperDir)) {
      const { meta } = entry;
      if (await isAddedMountPoint(entry, lower)) continue;
      const times = { uid: meta.uid, gid: meta.gid, mtime: mtimeSeconds(meta) };
      if (isWhiteoutDevice(meta)) {
        await packer.addEmptyFile(whiteoutName(entry.rel), { mode: 0o600, ...times });
        continue;
      }
      const attrs = xattrs.get(entry.abs);
      await packer.addPath(entry.abs, entry.rel, meta, attrs);
      if (meta.kind === 'directory' && attrs?.get(OPAQUE_XATTR)?.toString() === 'y') {
        await packer.addEmptyFile(`${entry.rel}/${OPAQUE_MARKER}`, { mode: meta.mode & 0o777, ...times });
      }
    }
  });
}

/** vfs: the changed paths from the naive diff, as docker's ExportChanges writes them. */
function naiveTar(rootfs: string, baseDir: string | null, log: ((msg: string) => void) | undefined): Readable {
  return packTar({ confineTo: rootfs, ...(log ? { log } : {}) }, async (packer) => {
    const changes = sortChanges(await naiveChanges(rootfs, baseDir));
    const xattrs = await readXattrs(changes.filter((c) => c.Kind !== CHANGE_DELETED).map((c) => rootfs + c.Path));
    for (const change of changes) {
      const abs = rootfs + change.Path;
      if (change.Kind === CHANGE_DELETED) {
        // The deletion's own time is lost; the parent's mtime is when it last changed, and keeps the tar reproducible.
        const parent = await readMetaOrNull(rootfs + posix.dirname(change.Path));
        await packer.addEmptyFile(whiteoutName(change.Path.slice(1)), { mode: 0o600, uid: 0, gid: 0, mtime: parent ? mtimeSeconds(parent) : 0 });
        continue;
      }
      const meta = await readMetaOrNull(abs);
      if (meta !== null) await packer.addPath(abs, change.Path.slice(1), meta, xattrs.get(abs));
    }
  });
}

/** A placeholder file, or an empty init directory, that the image does not have. */
async function isAddedMountPoint(entry: TreeEntry, lower: LowerView): Promise<boolean> {
  const path = `/${entry.rel}`;
  const candidate = isInitFile(path, entry.meta) || (isInitDir(path, entry.meta) && (await sortedNames(entry.abs)).length === 0);
  if (!candidate) return false;
  let dir: LowerDir | null = lower.root;
  for (const name of entry.rel.split('/')) {
    const found: LowerEntry | null = dir === null ? null : await lower.lookup(dir, name);
    if (found === null) return true;
    dir = found.dir;
  }
  return false;
}

function whiteoutName(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
}

export interface CommitDeps {
  images: ImageService;
  content: ContentStore;
}

/** Stops the container's processes while its filesystem is read (docker's `pause=true`). */
export interface CommitPause {
  pause(): Promise<void>;
  unpause(): Promise<void>;
}

export interface CommitInput {
  /** null: a layer on nothing (a build `FROM scratch`). */
  parentImageId: Digest | null;
  changes: ChangesSource;
  containerId: string;
  /** The container's config; with `changeInstructions` applied it becomes the image's config. */
  containerConfig: ImageRunConfig;
  /**
   * Kept as `container_config` instead of `containerConfig`: `docker commit` keeps the
   * container's whole Config there (Hostname, Image…; docker-py checks ContainerConfig.Image).
   */
  recordedContainerConfig?: ImageRunConfig | undefined;
  /** `--change` Dockerfile lines (CMD, ENV, LABEL…). */
  changeInstructions: readonly string[];
  /** The new image's config when it is not the container's (a build step keeps the stage's CMD). */
  imageConfig?: ImageRunConfig | undefined;
  author?: string | undefined;
  comment?: string | undefined;
  pause?: CommitPause | undefined;
  log?: ((msg: string) => void) | undefined;
}

/**
 * `docker commit`: stores the container's changes as a new uncompressed layer on its image and
 * returns the new image's ID (untagged; tagging is the caller's). As in docker, a container that
 * changed nothing adds no layer, only a history entry marked `empty_layer`. The `--change` lines
 * are checked before anything is read or stored.
 */
export async function commitContainer(deps: CommitDeps, input: CommitInput): Promise<Digest> {
  const config = input.imageConfig ?? applyChanges(input.containerConfig, input.changeInstructions);
  const parent = input.parentImageId === null ? scratchParent() : await deps.images.resolve(input.parentImageId);
  const leases = new LeaseSet(deps.images.leases);
  try {
    const layer = await storeLayer(deps.content, input, (d) => leases.add(d));
    const empty = layer.digest === EMPTY_TAR_DIGEST;
    const bytes = buildCommitConfig({
      parent: parent.config,
      diffId: empty ? null : layer.digest,
      containerConfig: input.recordedContainerConfig ?? input.containerConfig,
      config,
      containerId: input.containerId,
      author: input.author,
      comment: input.comment,
      created: isoTime(),
    });
    leases.add(sha256Digest(bytes));
    const ref = { diffId: layer.digest, digest: layer.digest, mediaType: MEDIA_TYPES.ociLayer, size: layer.size };
    return await deps.images.addImage({ config: bytes, layers: [...parent.record.layers, ...(empty ? [] : [ref])], ...(parent.id ? { parent: parent.id } : {}) });
  } catch (err) {
    leases.release();
    await deps.images.gc().catch(() => undefined); // the blobs this commit stored
    throw err;
  } finally {
    leases.release();
  }
}

/** The parent of a first layer: no layers, the daemon's platform. */
function scratchParent(): { id: undefined; record: { layers: [] }; config: ImageConfig } {
  return { id: undefined, record: { layers: [] }, config: { ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [] } } };
}

/** Writes the changes tar to the content store; uncompressed, so its digest is the diff ID. */
async function storeLayer(content: ContentStore, input: CommitInput, lease: (d: Digest) => void): Promise<{ digest: Digest; size: number }> {
  await input.pause?.pause();
  try {
    return await content.writeStream(changesTar(input.changes, input.log), { lease });
  } finally {
    await input.pause?.unpause();
  }
}
