import type { PublishEvent } from '../events/event-types.js';
import type { Logger } from '../../core/logger.js';
import { isDigest, type Digest } from '../../core/digest.js';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { familiarString, formatReference, parseReference, parseReferenceWithDefaultTag } from '../../oci/reference.js';
import type { ImageConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { ImageRecord, ImageStore } from '../../store/metadata/image-store.js';
import type { ReferenceStore } from '../../store/metadata/reference-store.js';
import type { LayerStore } from '../../store/layers/layer-store.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';

/** A container's claim on an image: images in use are not deleted. */
export interface ImageUsage {
  containersUsing(imageId: Digest): Promise<Array<{ id: string; running: boolean }>>;
}

export const NO_IMAGE_USAGE: ImageUsage = { containersUsing: async () => [] };

export interface ImageDeps {
  content: ContentStore;
  images: ImageStore;
  refs: ReferenceStore;
  layers: LayerStore;
  snapshotter: Snapshotter;
  log: Logger;
  /** Which containers use an image (the container service, built after this one: read at each call). */
  usage?: ImageUsage;
  /** Where image events (tag, untag, delete, pull, load…) go. */
  publish?: PublishEvent;
  /** Called with each image stored (pull, load, import, build step, commit): the disk budget's cue. */
  onAdded?: (id: Digest) => void;
}

export interface ResolvedImage {
  id: Digest;
  record: ImageRecord;
  config: ImageConfig;
}

/**
 * Name and ID lookup shared by every image operation: by reference (`busybox` means
 * `busybox:latest`), by full or `sha256:`-prefixed ID, or by a unique ID prefix, as docker does.
 */
export class ImageCatalog {
  constructor(private readonly deps: ImageDeps) {}

  async resolve(name: string): Promise<ResolvedImage> {
    const found = await this.tryResolve(name);
    if (!found) throw new NotFoundError(`No such image: ${displayName(name)}`);
    return found;
  }

  async tryResolve(name: string): Promise<ResolvedImage | undefined> {
    // An image ID is looked up by its record alone, read once (resolveId would read it to check it).
    const direct = fullId(name);
    const id = direct ?? (await this.resolveId(name));
    if (!id) return undefined;
    const record = await this.deps.images.get(id);
    if (!record) return undefined;
    const config = await this.deps.content.readJson<ImageConfig>(id).catch(async (err: unknown) => {
      // Removed meanwhile (its record goes first, then garbage collection takes its blobs): an
      // image that is gone, not a missing blob to report.
      if (err instanceof NotFoundError && !(await this.deps.images.get(id))) return undefined;
      throw err;
    });
    return config === undefined ? undefined : { id, record, config };
  }

  /** The ID of the image `name` refers to, as resolve finds it, checked to exist but read no further. */
  async resolveExistingId(name: string): Promise<Digest> {
    const id = fullId(name) ?? (await this.resolveId(name));
    if (!id || !(await this.has(id))) throw new NotFoundError(`No such image: ${displayName(name)}`);
    return id;
  }

  /**
   * Whether the image with this ID is here (its record: removal deletes the record first), without
   * reading the record or its config: the build cache's check of each step it reuses.
   */
  has(id: Digest): Promise<boolean> {
    return this.deps.images.has(id);
  }

  /** The image a name that is not a full ID (tryResolve takes those) refers to: a reference or an ID prefix. */
  private async resolveId(name: string): Promise<Digest | undefined> {
    const bare = name.startsWith('sha256:') ? name.slice(7) : name;
    let ref;
    try {
      ref = parseReferenceWithDefaultTag(name);
    } catch (err) {
      if (/^(sha256:)?[a-f0-9]{1,63}$/.test(name)) return this.byPrefix(bare);
      throw err;
    }
    const byRef = this.deps.refs.get(formatReference(ref));
    if (byRef) return byRef;
    // A short hex string is both a valid repository name and an ID prefix; docker tries both.
    if (/^[a-f0-9]{1,63}$/.test(bare) && ref.tag === 'latest' && !name.includes(':')) return this.byPrefix(bare);
    return undefined;
  }

  private async byPrefix(prefix: string): Promise<Digest | undefined> {
    const matches = (await this.deps.images.list()).filter((r) => r.id.slice(7).startsWith(prefix));
    if (matches.length > 1) throw new InvalidParameterError(`multiple IDs found with prefix "${prefix}": use a longer ID`);
    return matches[0]?.id;
  }

  /** RepoTags and RepoDigests as docker shows them (`busybox:latest`). */
  namesOf(id: Digest): { repoTags: string[]; repoDigests: string[] } {
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const ref of this.deps.refs.referencesTo(id)) {
      const parsed = parseReference(ref);
      (parsed.digest !== undefined ? repoDigests : repoTags).push(familiarString(parsed));
    }
    return { repoTags, repoDigests };
  }
}

/** The name a user typed, as docker echoes it in "No such image" (with `:latest` added). */
export function displayName(name: string): string {
  try {
    const ref = parseReference(name);
    if (ref.tag === undefined && ref.digest === undefined) return `${name}:latest`;
  } catch {
    /* not a reference: echo as typed */
  }
  return name;
}

/** A full image ID (`sha256:<64 hex>` or the 64 hex digits alone) as a digest; undefined for any other name. */
function fullId(name: string): Digest | undefined {
  if (isDigest(name)) return name;
  return /^[a-f0-9]{64}$/.test(name) ? (`sha256:${name}` as Digest) : undefined;
}
