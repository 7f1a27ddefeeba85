import type { Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../../core/digest.js';
import { isoTime } from '../../core/utc-time.js';
import { MEDIA_TYPES, hostPlatform, type ImageConfig, type ImageRunConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { ImageService } from '../images/image-service.js';
import { applyChanges } from '../images/archive/change-parser.js';
import { LeaseSet } from '../images/archive/lease-set.js';
import { buildCommitConfig } from './commit-config.js';

/** The digest of a tar with no entries (two zero blocks): docker's layer.DigestSHA256EmptyTar. */
export const EMPTY_TAR_DIGEST = sha256Digest(Buffer.alloc(1024));

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
  /** The container's changes as a layer tar: the snapshotter's `diff`, read while paused. */
  diff: () => Readable;
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
    return await content.writeStream(input.diff(), { lease });
  } finally {
    await input.pause?.unpause();
  }
}
