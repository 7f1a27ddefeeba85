import type { Digest } from '../../core/digest.js';
import { chainIds } from '../../core/digest.js';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import { familiarString, formatReference, parseReference } from '../../oci/reference.js';
import type { ImageConfig } from '../../oci/image-types.js';
import type { ImageRecord, LayerBlobRef } from '../../store/metadata/image-store.js';
import { ImageCatalog, NO_IMAGE_USAGE, type ImageDeps, type ImageUsage, type ResolvedImage } from './image-catalog.js';
import { checkFilterKeys, labelsMatch, parseBool, type Filters } from '../../core/filters.js';
import { IMAGE_FILTERS, referenceMatches } from './image-filters.js';
import { buildHistory, buildInspect, buildSummary, type HistoryItem, type ImageInspect, type ImageSummary } from './image-views.js';
import { LayerUnpacker, type StreamedLayer } from './layer-unpacker.js';
import { UnpackAhead } from './unpack-ahead.js';
import { collectGarbage } from './image-gc.js';
import { checkImageStore } from './store-check.js';
import type { PublishEvent } from '../events/event-types.js';
import { BlobLeases } from './blob-leases.js';
import { LeaseSet } from './archive/lease-set.js';
import { compareStrings } from '../../core/compare.js';
import { isoTime } from '../../core/utc-time.js';

export interface DeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface NewImage {
  /** The exact config bytes: their digest is the image ID, so they are stored as given. */
  config: Buffer;
  layers: LayerBlobRef[];
  parent?: Digest;
  repoDigests?: string[];
  /** Layers a load unpacked as its archive streamed (unpackAhead()). */
  ahead?: UnpackAhead;
}

/** The image service: every image operation users see, over the stores and the snapshotter. */
export class ImageService {
  readonly catalog: ImageCatalog;
  private readonly unpacker: LayerUnpacker;
  private readonly usage: ImageUsage;
  /** Blobs written by operations still in progress, which garbage collection must not take. */
  readonly leases = new BlobLeases();

  constructor(private readonly deps: ImageDeps) {
    this.catalog = new ImageCatalog(deps);
    this.unpacker = new LayerUnpacker(deps);
    this.usage = deps.usage ?? NO_IMAGE_USAGE;
  }

  get storageDriver(): string {
    return this.deps.snapshotter.name;
  }

  /** Where image events (tag, untag, delete, pull, load…) go. */
  readonly publish: PublishEvent = (e) => this.deps.publish?.(e);

  resolve(name: string): Promise<ResolvedImage> {
    return this.catalog.resolve(name);
  }

  /** Where a load's blobs are unpacked as they stream, when the storage driver can (UnpackAhead). */
  unpackAhead(): UnpackAhead | undefined {
    const unpack = this.deps.snapshotter.unpackDetached?.bind(this.deps.snapshotter);
    return unpack ? new UnpackAhead(unpack) : undefined;
  }

  /** Unpacks `layers[index]` from a download as it arrives (LayerUnpacker.streamLayer). */
  streamLayer(layers: readonly LayerBlobRef[], index: number, verified: Promise<unknown>): Promise<StreamedLayer | undefined> {
    return this.unpacker.streamLayer(layers, index, verified);
  }

  /**
   * Stores an image whose config and layer blobs are already in the content store: unpacks
   * the layers it lacks (verified against the config's diff IDs), then writes the record.
   */
  async addImage(input: NewImage): Promise<Digest> {
    const info = await this.deps.content.writeBytes(input.config);
    const config = JSON.parse(input.config.toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== input.layers.length || diffIds.some((d, i) => d !== input.layers[i]?.diffId)) {
      throw new InvalidParameterError(`image config ${info.digest} lists ${diffIds.length} layers but ${input.layers.length} were given, or their diff IDs differ`);
    }
    // The layers are leased like blobs, by chain ID, from their check until the record that
    // references them is written (and to the end of a collection running meanwhile): a load that
    // unpacks while it streams has its layers ready moments after the collection its own bytes
    // set off began, and that collection removed one under an image being recorded.
    const layerLeases = new LeaseSet(this.leases);
    for (const chainId of chainIds(input.layers.map((l) => l.diffId))) layerLeases.add(chainId);
    try {
      await this.unpacker.ensureLayers(input.layers, input.ahead);
      const existing = await this.deps.images.get(info.digest);
      const record: ImageRecord = existing ?? { id: info.digest, layers: input.layers, added: isoTime() };
      if (input.parent) record.parent = input.parent;
      if (input.repoDigests) record.repoDigests = [...new Set([...(record.repoDigests ?? []), ...input.repoDigests])];
      await this.deps.images.put(record);
    } finally {
      layerLeases.release();
    }
    this.deps.onAdded?.(info.digest);
    return info.digest;
  }

  async list(opts: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    const filters = opts.filters ?? {};
    checkFilterKeys(filters, IMAGE_FILTERS);
    const records = await this.deps.images.list();
    const parents = new Set(records.map((r) => r.parent).filter((p): p is Digest => p !== undefined));
    const bound = async (key: 'before' | 'since'): Promise<number | undefined> => {
      const v = filters[key]?.[0];
      if (v === undefined) return undefined;
      const img = await this.catalog.resolve(v);
      return Date.parse(img.config.created ?? '') || 0;
    };
    const before = await bound('before');
    const since = await bound('since');
    const out: ImageSummary[] = [];
    for (const record of records) {
      const config = await this.deps.content.readJson<ImageConfig>(record.id);
      const names = this.catalog.namesOf(record.id);
      const dangling = names.repoTags.length === 0;
      if (filters.dangling?.[0] !== undefined && parseBool('dangling', filters.dangling[0]) !== dangling) continue;
      if (!opts.all && dangling && parents.has(record.id) && !filters.dangling) continue;
      if (filters.reference) {
        // docker lists only the tags that match, not every tag of a matching image.
        names.repoTags = names.repoTags.filter((t) => filters.reference!.some((p) => referenceMatches(p, [t])));
        // As dockerd: the digests shown are the matching repository's too.
        names.repoDigests = names.repoDigests.filter((t) => filters.reference!.some((p) => referenceMatches(p, [t])));
        if (names.repoTags.length === 0 && names.repoDigests.length === 0) continue;
      }
      if (!labelsMatch(filters.label, config.config?.Labels)) continue;
      const created = Date.parse(config.created ?? '') || 0;
      if (before !== undefined && created >= before) continue;
      if (since !== undefined && created <= since) continue;
      const users = await this.usage.containersUsing(record.id);
      out.push(buildSummary(record, config, names, await this.imageSize(record), users.length));
    }
    return out.sort((a, b) => b.Created - a.Created || compareStrings(a.Id, b.Id));
  }

  async inspect(name: string): Promise<ImageInspect> {
    const img = await this.catalog.resolve(name);
    const chains = chainIds(img.record.layers.map((l) => l.diffId));
    const top = chains[chains.length - 1];
    const topLayer = top ? await this.deps.layers.get(top) : undefined;
    const graph = { Name: this.deps.snapshotter.name, Data: topLayer ? this.deps.snapshotter.layerData(topLayer.snapshotId) : null };
    return buildInspect(img.record, img.config, this.catalog.namesOf(img.id), await this.imageSize(img.record), graph);
  }

  async history(name: string): Promise<HistoryItem[]> {
    const img = await this.catalog.resolve(name);
    const sizes = await this.layerSizes(img.record);
    return buildHistory(img.id, img.config, sizes, this.catalog.namesOf(img.id).repoTags);
  }

  /** `docker tag SOURCE TARGET`: TARGET without a tag means `latest`. */
  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    // Only the ID is needed: neither the record nor the config is read.
    const img = { id: await this.catalog.resolveExistingId(source) };
    const ref = parseReference(tag ? `${repo}:${tag}` : repo);
    if (ref.digest !== undefined) throw new InvalidParameterError(`refusing to create a tag with a digest reference: ${repo}`);
    if (ref.tag === undefined) ref.tag = 'latest';
    await this.deps.refs.set(formatReference(ref), img.id);
    this.deps.images.refreshTagTime(img.id, isoTime());
    this.publish({ type: 'image', action: 'tag', id: img.id, attributes: { name: familiarString(ref) } });
  }

  /** Records `repository@digest` (a manifest digest after pull or push): the image's RepoDigests. */
  async addRepoDigest(id: Digest, repository: string, manifestDigest: Digest): Promise<void> {
    await this.deps.refs.set(`${repository}@${manifestDigest}`, id);
  }

  /** `docker rmi`, with docker's untag-vs-delete rules and conflicts. */
  async remove(name: string, opts: { force?: boolean; noPrune?: boolean; reason?: string } = {}): Promise<DeleteResponseItem[]> {
    const img = await this.catalog.resolve(name);
    const refs = this.deps.refs.referencesTo(img.id);
    const byReference = refs.includes(fullRefOrUndefined(name) ?? '');
    const users = await this.usage.containersUsing(img.id);
    const out: DeleteResponseItem[] = [];
    if (byReference) {
      const ref = fullRefOrUndefined(name) as string;
      const otherTags = refs.filter((r) => r !== ref && !r.includes('@'));
      if (otherTags.length > 0 || (users.length > 0 && opts.force)) {
        await this.untag(ref, out);
        return out;
      }
      if (users.length > 0) {
        throw new ConflictError(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(users[0]!.id)} is using its referenced image ${shortId(img.id)}`);
      }
    } else {
      const running = users.find((u) => u.running);
      if (running) {
        throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running.id)}`);
      }
      if (users.length > 0 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(users[0]!.id)}`);
      }
      const tags = refs.filter((r) => !r.includes('@'));
      if (tags.length > 1 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
      }
    }
    const children = (await this.deps.images.list()).filter((r) => r.parent === img.id);
    if (children.length > 0 && byReference) {
      // As dockerd: removing an image's last tag while other images build on it untags it and
      // keeps it as their parent (a "quiet" conflict), so `docker rmi` and `compose down --rmi`
      // succeed when a later build reused its layers as cache.
      await this.untagWithRepoDigests(fullRefOrUndefined(name) as string, refs, out);
      return out;
    }
    if (children.length > 0) {
      throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image has dependent child images`);
    }
    for (const ref of refs) await this.untag(ref, out);
    await this.deps.images.delete(img.id);
    out.push({ Deleted: img.id });
    // `reason` tells a deletion nobody asked for (the disk budget's) from a user's rmi.
    this.publish({ type: 'image', action: 'delete', id: img.id, attributes: { name: img.id, ...(opts.reason ? { reason: opts.reason } : {}) } });
    if (!opts.noPrune && img.record.parent) await this.pruneParents(img.record.parent, out, opts.reason);
    const removedLayers = await this.gc();
    for (const layer of removedLayers) out.push({ Deleted: layer });
    return out;
  }

  /**
   * As docker's rmi without --no-prune: the parent chain goes too (a build's intermediate
   * images), up to the first parent that is tagged, has other children or is used by a container.
   */
  private async pruneParents(id: Digest, out: DeleteResponseItem[], reason?: string): Promise<void> {
    for (let current: Digest | undefined = id; current; ) {
      const record = await this.deps.images.get(current);
      if (!record || this.deps.refs.referencesTo(current).length > 0) return;
      if ((await this.deps.images.list()).some((r) => r.parent === current)) return;
      if ((await this.usage.containersUsing(current)).length > 0) return;
      await this.deps.images.delete(current);
      out.push({ Deleted: current });
      if (reason) this.publish({ type: 'image', action: 'delete', id: current, attributes: { name: current, reason } });
      current = record.parent;
    }
  }

  /** `docker image prune`: dangling images, or with `all` every image no container uses. */
  async prune(opts: { all?: boolean; filters?: Filters } = {}): Promise<{ ImagesDeleted: DeleteResponseItem[]; SpaceReclaimed: number }> {
    const filters = { ...(opts.filters ?? {}) };
    const all = opts.all || (filters.dangling?.[0] !== undefined && !parseBool('dangling', filters.dangling[0]));
    delete filters.dangling;
    checkFilterKeys(filters, new Set(['label', 'until']));
    const deleted: DeleteResponseItem[] = [];
    let reclaimed = 0;
    const until = filters.until?.[0] !== undefined ? parseUntil(filters.until[0]) : undefined;
    for (const record of await this.deps.images.list()) {
      const names = this.catalog.namesOf(record.id);
      if (!all && names.repoTags.length > 0) continue;
      if ((await this.usage.containersUsing(record.id)).length > 0) continue;
      const config = await this.deps.content.readJson<ImageConfig>(record.id);
      if (!labelsMatch(filters.label, config.config?.Labels)) continue;
      if (until !== undefined && (Date.parse(config.created ?? '') || 0) >= until) continue;
      const size = await this.imageSize(record);
      try {
        deleted.push(...(await this.remove(record.id, { force: true })));
        reclaimed += size;
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
      }
    }
    return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** The store's integrity (store-check.ts): the problems found, none when it is whole. */
  check(): Promise<string[]> {
    return checkImageStore(this.deps);
  }

  /** Removes layers and blobs no image references; returns the chain IDs of removed layers. */
  gc(): Promise<Digest[]> {
    return this.leases.collect(() => collectGarbage(this.deps, this.leases, this.unpacker));
  }

  /** Bytes all unpacked layers take, each counted once (`system df`'s LayersSize). */
  async layersSize(): Promise<number> {
    return (await this.deps.layers.list()).reduce((sum, l) => sum + l.size, 0);
  }

  async imageSize(record: ImageRecord): Promise<number> {
    return (await this.layerSizes(record)).reduce((a, b) => a + b, 0);
  }

  private async layerSizes(record: ImageRecord): Promise<number[]> {
    const sizes: number[] = [];
    for (const chainId of chainIds(record.layers.map((l) => l.diffId))) sizes.push((await this.deps.layers.get(chainId))?.size ?? 0);
    return sizes;
  }

  /** Untags `ref` and, as no other tag of its repository is left, that repository's digest references. */
  private async untagWithRepoDigests(ref: string, refs: string[], out: DeleteResponseItem[]): Promise<void> {
    await this.untag(ref, out);
    const repository = parseReference(ref).repository;
    for (const r of refs) if (r.includes('@') && parseReference(r).repository === repository) await this.untag(r, out);
  }

  private async untag(ref: string, out: DeleteResponseItem[]): Promise<void> {
    const id = this.deps.refs.get(ref);
    await this.deps.refs.delete(ref);
    out.push({ Untagged: familiarString(parseReference(ref)) });
    this.publish({ type: 'image', action: 'untag', id: String(id ?? ref), attributes: { name: familiarString(parseReference(ref)) } });
  }
}

function fullRefOrUndefined(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
    return formatReference(ref);
  } catch {
    return undefined;
  }
}

/** `until` is a timestamp (RFC 3339 or unix seconds) or a Go duration before now. */
export function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const dur = /^(\d+)(s|m|h)$/.exec(value);
  if (dur) return Date.now() - Number(dur[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[dur[2] as 's' | 'm' | 'h'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid filter 'until=${value}': use a timestamp or a duration like 24h`);
  return t;
}
