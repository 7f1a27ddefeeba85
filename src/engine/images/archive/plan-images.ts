import { isDigest, type Digest } from '../../../core/digest.js';
import { NotImplementedError } from '../../../core/errors.js';
import { formatReference, parseReference } from '../../../oci/reference.js';
import { MEDIA_TYPES, hostPlatform, type Descriptor, type ImageConfig } from '../../../oci/image-types.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { LayerBlobRef } from '../../../store/metadata/image-store.js';
import { invalidArchive } from './archive-error.js';
import { decompress } from '../../../core/compression.js';
import { blobCompression, layerCompression, layerMediaType } from './compression.js';
import { cleanName, findFile, type ArchiveContents } from './read-archive.js';

/** One image an archive holds, checked and ready for `ImageService.addImage`. */
export interface PlannedImage {
  id: Digest;
  config: Buffer;
  layers: LayerBlobRef[];
  /** Full tagged references (`docker.io/library/busybox:latest`). */
  tags: string[];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

/**
 * Reads the images out of a stored archive: docker's `manifest.json` when present (it carries
 * the tags docker users expect), else the OCI layout's `index.json`. Images are merged by ID.
 */
export async function planImages(content: ContentStore, archive: ArchiveContents, lease: (d: Digest) => void): Promise<PlannedImage[]> {
  const plans = new Map<Digest, PlannedImage>();
  const add = (plan: PlannedImage): void => {
    const known = plans.get(plan.id);
    if (!known) plans.set(plan.id, plan);
    else for (const t of plan.tags) if (!known.tags.includes(t)) known.tags.push(t);
  };
  const dockerManifest = archive.documents.get('manifest.json');
  const index = archive.documents.get('index.json');
  if (dockerManifest) {
    for (const entry of parseDockerManifest(dockerManifest)) add(await planDockerEntry(content, archive, entry, lease));
  } else if (index) {
    for (const desc of parseDescriptors(parseJson(index, 'index.json'), 'index.json')) {
      const tags = layoutTags(desc.annotations ?? {});
      for (const manifest of await chooseManifests(content, archive, desc)) add(await planOciManifest(content, archive, manifest, tags));
    }
  } else {
    throw invalidArchive('neither manifest.json nor index.json found: this is not an image archive from docker save or an OCI image layout');
  }
  return [...plans.values()];
}

function parseDockerManifest(bytes: Buffer): DockerManifestEntry[] {
  const parsed = parseJson(bytes, 'manifest.json');
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!Array.isArray(parsed)) throw invalidArchive('manifest.json is not a JSON array');
  return parsed.map((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    if (typeof o.Config !== 'string' || !isStrings(o.Layers) || (o.RepoTags != null && !isStrings(o.RepoTags))) {
      throw invalidArchive(`manifest.json entry ${i} needs a Config string, a Layers array and RepoTags strings`);
    }
    return { Config: o.Config, Layers: o.Layers, RepoTags: (o.RepoTags as string[] | null | undefined) ?? [] };
  });
}

async function planDockerEntry(content: ContentStore, archive: ArchiveContents, entry: DockerManifestEntry, lease: (d: Digest) => void): Promise<PlannedImage> {
  const lookup = (path: string): Digest => {
    const found = findFile(archive, cleanName(path));
    if (!found) throw invalidArchive(`manifest.json references missing file ${path}`);
    return found;
  };
  const { id, config, diffIds } = await readConfig(content, lookup(entry.Config), entry.Config);
  if (diffIds.length !== entry.Layers.length) {
    throw invalidArchive(`image config ${entry.Config} lists ${diffIds.length} layers but manifest.json lists ${entry.Layers.length}`);
  }
  const layers: LayerBlobRef[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    let digest = lookup(path);
    // docker's format does not say how a layer file is compressed: it is sniffed, as docker does.
    const kind = await blobCompression(content, digest);
    if (kind === 'bzip2' || kind === 'xz') {
      // No OCI media type names these: the layer is kept uncompressed (docker keeps only the
      // unpacked layer too), checked against its diff ID as it is written.
      lease(diffIds[i] as Digest);
      digest = (await content.writeStream(decompress(await content.readStream(digest), kind), { digest: diffIds[i] as Digest })).digest;
    }
    layers.push(await layerRef(content, digest, diffIds[i] as Digest, layerMediaType(kind === 'bzip2' || kind === 'xz' ? 'none' : kind), path));
  }
  const tags = (entry.RepoTags ?? []).map((t) => tagReference(t, 'manifest.json'));
  return { id, config, layers, tags };
}

/** Descriptors of the manifests to load for one index entry: nested indexes pick the host platform. */
async function chooseManifests(content: ContentStore, archive: ArchiveContents, desc: Descriptor, depth = 0): Promise<Descriptor[]> {
  if (MANIFEST_TYPES.has(desc.mediaType)) return [desc];
  if (!INDEX_TYPES.has(desc.mediaType) || depth > 4) return []; // attestations, signatures, …: not images
  const nested = parseDescriptors(parseJson(await readBlob(content, archive, desc.digest), `index ${desc.digest}`), `index ${desc.digest}`);
  const host = hostPlatform();
  const forHost = nested.filter((d) => d.platform?.os === host.os && d.platform.architecture === host.architecture);
  // An index that states no platforms at all (some tools write one) offers its entries as they are.
  const candidates = forHost.length > 0 ? forHost : nested.filter((d) => d.platform === undefined);
  // A save may keep only some platforms' blobs: prefer a candidate the archive holds.
  const chosen = candidates.find((d) => archive.files.has(blobPath(d.digest as Digest))) ?? candidates[0];
  if (!chosen) throw invalidArchive(`index ${desc.digest} has no image for platform ${host.os}/${host.architecture}`);
  return chooseManifests(content, archive, chosen, depth + 1);
}

async function planOciManifest(content: ContentStore, archive: ArchiveContents, desc: Descriptor, tags: string[]): Promise<PlannedImage> {
  const what = `manifest ${desc.digest}`;
  const manifest = parseJson(await readBlob(content, archive, desc.digest), what) as { config?: Descriptor; layers?: unknown };
  const [configDesc] = parseDescriptors({ manifests: [manifest.config] }, what);
  const layerDescs = parseDescriptors({ manifests: manifest.layers }, what);
  if (!configDesc) throw invalidArchive(`${what} has no config`);
  const { id, config, diffIds } = await readConfig(content, await blobDigest(archive, configDesc.digest), blobPath(configDesc.digest as Digest));
  if (diffIds.length !== layerDescs.length) {
    throw invalidArchive(`image config ${configDesc.digest} lists ${diffIds.length} layers but ${what} lists ${layerDescs.length}`);
  }
  const layers: LayerBlobRef[] = [];
  for (const [i, l] of layerDescs.entries()) {
    if (layerCompression(l.mediaType) === undefined) throw new NotImplementedError(`layer media type "${l.mediaType}" in ${what} is not supported`);
    const digest = await blobDigest(archive, l.digest);
    layers.push(await layerRef(content, digest, diffIds[i] as Digest, l.mediaType, blobPath(digest)));
  }
  return { id, config, layers, tags };
}

async function readConfig(content: ContentStore, digest: Digest, path: string): Promise<{ id: Digest; config: Buffer; diffIds: Digest[] }> {
  const config = await content.readBytes(digest);
  const parsed = parseJson(config, `image config ${path}`) as Partial<ImageConfig>;
  const diffIds = parsed.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalidArchive(`image config ${path} has no valid rootfs.diff_ids`);
  }
  return { id: digest, config, diffIds };
}

async function layerRef(content: ContentStore, digest: Digest, diffId: Digest, mediaType: string, path: string): Promise<LayerBlobRef> {
  // An uncompressed layer is its own diff: say so now, before anything gets unpacked.
  if (layerCompression(mediaType) === 'none' && digest !== diffId) {
    throw invalidArchive(`layer ${path} (${digest}) does not match diff ID ${diffId} in its image config`);
  }
  const size = (await content.info(digest))?.size ?? 0;
  return { diffId, digest, mediaType, size };
}

/** Docker's rule: a RepoTag must be a name with a tag. */
function tagReference(tag: string, where: string): string {
  let ref;
  try {
    ref = parseReference(tag);
  } catch (err) {
    throw invalidArchive(`${where} has an invalid tag "${tag}"`, err);
  }
  if (ref.tag === undefined || ref.digest !== undefined) throw invalidArchive(`${where} has an invalid tag "${tag}": expected name:tag`);
  return formatReference(ref);
}

/** Names from an OCI index entry; a bare `ref.name` (`latest`) names no repository, so it is not a tag. */
function layoutTags(annotations: Record<string, string>): string[] {
  const full = annotations['io.containerd.image.name'];
  const refName = annotations['org.opencontainers.image.ref.name'];
  const name = full ?? (refName !== undefined && /[:/]/.test(refName) ? refName : undefined);
  if (name === undefined) return [];
  let ref;
  try {
    ref = parseReference(name);
  } catch (err) {
    throw invalidArchive(`index.json names an image "${name}", which is not a valid reference`, err);
  }
  if (ref.digest !== undefined) return []; // a digest reference is no tag to set
  return [formatReference({ repository: ref.repository, tag: ref.tag ?? 'latest' })];
}

function parseDescriptors(index: unknown, what: string): Descriptor[] {
  const list = (index as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(list)) throw invalidArchive(`${what} has no descriptor list`);
  return list.map((d: unknown) => {
    const o = (d ?? {}) as Partial<Descriptor>;
    if (typeof o.mediaType !== 'string' || typeof o.digest !== 'string' || !isDigest(o.digest)) {
      throw invalidArchive(`${what} has a descriptor without a media type or a sha256 digest`);
    }
    return o as Descriptor;
  });
}

function blobPath(digest: Digest): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

async function blobDigest(archive: ArchiveContents, digest: string): Promise<Digest> {
  const found = findFile(archive, blobPath(digest as Digest));
  if (!found) throw invalidArchive(`blob ${digest} is referenced but missing from the archive`);
  return found;
}

async function readBlob(content: ContentStore, archive: ArchiveContents, digest: string): Promise<Buffer> {
  return content.readBytes(await blobDigest(archive, digest));
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw invalidArchive(`${what} is not valid JSON`, err);
  }
}
