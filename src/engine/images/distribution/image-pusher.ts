import type { Digest } from '../../../core/digest.js';
import { sha256Digest } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import { shortId } from '../../../core/ids.js';
import { optimizingWindow } from '../../../core/optimizing-window.js';
import { MEDIA_TYPES, type Descriptor } from '../../../oci/image-types.js';
import { familiarName, parseReference } from '../../../oci/reference.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { LayerBlobRef } from '../../../store/metadata/image-store.js';
import type { ProgressSink } from '../archive/progress.js';
import { LeaseSet } from '../archive/lease-set.js';
import type { ImageService } from '../image-service.js';
import { splitRepository } from './image-puller.js';
import { LayerProgress, runLimited } from './progress-bar.js';
import type { RegistrySettings } from './registry-hosts.js';
import { failure, RegistryHttp, type RegistryCredentials } from './registry-http.js';

export interface PushDeps {
  images: ImageService;
  content: ContentStore;
  settings: RegistrySettings;
}

export interface PushOptions {
  creds?: RegistryCredentials;
  onProgress: ProgressSink;
  concurrency?: number;
}

const GZIP_TYPES: readonly string[] = [MEDIA_TYPES.dockerLayerGzip, MEDIA_TYPES.ociLayerGzip];
const ZSTD_TYPES: readonly string[] = [MEDIA_TYPES.ociLayerZstd];

/**
 * The manifest for an image's stored blobs: docker schema2 (what docker pushes) unless a layer
 * is zstd, which only OCI manifests can name. Layers go as they are stored.
 */
export function buildManifest(config: { digest: Digest; size: number }, layers: readonly LayerBlobRef[]): { bytes: Buffer; mediaType: string } {
  const oci = layers.some((l) => ZSTD_TYPES.includes(l.mediaType));
  const layerType = (l: LayerBlobRef): string => {
    if (ZSTD_TYPES.includes(l.mediaType)) return MEDIA_TYPES.ociLayerZstd;
    if (GZIP_TYPES.includes(l.mediaType)) return oci ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayerGzip;
    return oci ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.dockerLayer;
  };
  const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest: config.digest, size: config.size },
    layers: layers.map((l): Descriptor => ({ mediaType: layerType(l), digest: l.digest, size: l.size })),
  };
  return { bytes: Buffer.from(JSON.stringify(manifest, null, 3)), mediaType };
}

function withDigest(location: string, digest: Digest): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** `docker push NAME:TAG`: blobs the registry lacks (HEAD first), then the manifest under the tag. */
export async function pushImage(deps: PushDeps, name: string, tag: string, opts: PushOptions): Promise<{ digest: Digest; size: number }> {
  const ref = parseReference(`${name}:${tag}`);
  const img = await deps.images.resolve(`${ref.repository}:${tag}`);
  const { domain, path } = splitRepository(ref.repository);
  const http = new RegistryHttp(domain, opts.creds, deps.settings);
  const scope = `repository:${path}:pull,push`;
  const progress = new LayerProgress(opts.onProgress);
  const leases = new LeaseSet(deps.images.leases);
  let closeWindow: (() => void) | undefined;
  try {
    const configInfo = await deps.content.info(img.id);
    if (!configInfo) throw new InvalidParameterError(`image ${img.id} has no config blob in the store`);
    for (const l of img.record.layers) leases.add(l.digest);
    leases.add(img.id);
    const unique = [...new Map(img.record.layers.map((l) => [l.digest, l])).values()];
    for (const l of unique) progress.status(shortId(l.digest), 'Preparing');
    for (const l of unique) progress.status(shortId(l.digest), 'Waiting');
    // The compilers, for the bytes to send (core/optimizing-window.ts); a layer the registry has
    // costs only a HEAD, but whether it does is not known yet.
    closeWindow = optimizingWindow(unique.reduce((n, l) => n + l.size, 0));
    const mountFrom = mountSource(deps.images, img.id, domain, path);
    await runLimited(unique, opts.concurrency ?? 5, async (l) => {
      const id = shortId(l.digest);
      const result = await uploadBlob(http, deps.content, path, l.digest, l.size, scope, (current) => progress.bytes(id, 'Pushing', current, l.size), mountFrom);
      progress.status(id, result === 'pushed' ? 'Pushed' : result === 'mounted' ? `Mounted from ${mountFrom}` : 'Layer already exists');
    });
    await uploadBlob(http, deps.content, path, img.id, configInfo.size, scope, () => undefined, mountFrom);
    const manifest = buildManifest({ digest: img.id, size: configInfo.size }, img.record.layers);
    const res = await http.request('PUT', `/v2/${path}/manifests/${tag}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType }, scope });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await failure(res, `failed to push the manifest of ${familiarName(ref.repository)}:${tag}`);
    res.resume();
    const digest = sha256Digest(manifest.bytes);
    await deps.images.addRepoDigest(img.id, ref.repository, digest);
    opts.onProgress({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
    opts.onProgress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.bytes.length } });
    return { digest, size: manifest.bytes.length };
  } finally {
    closeWindow?.();
    leases.release();
  }
}

/** Another repository of the same registry this image came from or went to: its blobs can be mounted. */
function mountSource(images: ImageService, id: Digest, domain: string, path: string): string | undefined {
  for (const ref of images.catalog.namesOf(id).repoDigests) {
    const repo = splitRepository(parseReference(ref).repository);
    if (repo.domain === domain && repo.path !== path) return repo.path;
  }
  return undefined;
}

/** Uploads one blob unless the repository has it, or mounts it from `mountFrom` on the same registry. */
async function uploadBlob(http: RegistryHttp, content: ContentStore, path: string, digest: Digest, size: number, scope: string, onBytes: (n: number) => void, mountFrom?: string): Promise<'exists' | 'mounted' | 'pushed'> {
  const head = await http.request('HEAD', `/v2/${path}/blobs/${digest}`, { scope });
  head.resume();
  if (head.statusCode === 200) return 'exists';
  if (mountFrom) {
    const mount = await http.request('POST', `/v2/${path}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`, { scope: `${scope} repository:${mountFrom}:pull`, body: Buffer.alloc(0) });
    mount.resume();
    if (mount.statusCode === 201) return 'mounted';
    // 202: the registry opened an upload instead; close it rather than leave it to expire.
    if (mount.statusCode === 202 && mount.headers.location) (await http.request('DELETE', mount.headers.location, { scope })).resume();
  }
  // The POST carries no body, so a 401 is answered (token fetched) before any bytes stream.
  const start = await http.request('POST', `/v2/${path}/blobs/uploads/`, { scope, body: Buffer.alloc(0) });
  if (start.statusCode !== 202) throw await failure(start, `failed to start uploading ${digest}`);
  start.resume();
  const location = start.headers.location;
  if (!location) throw new InvalidParameterError(`the registry started an upload of ${digest} without a Location`);
  let sent = 0;
  const body = await content.readStream(digest);
  body.on('data', (c: Buffer) => {
    sent += c.length;
    onBytes(sent);
  });
  const patch = await http.request('PATCH', location, { scope, body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size } });
  if (patch.statusCode !== 202 && patch.statusCode !== 204) throw await failure(patch, `failed to upload ${digest}`);
  patch.resume();
  const next = patch.headers.location ?? location;
  const put = await http.request('PUT', withDigest(next, digest), { scope, body: Buffer.alloc(0) });
  if (put.statusCode !== 201) throw await failure(put, `failed to finish uploading ${digest}`);
  put.resume();
  return 'pushed';
}
