import type { Digest } from '../../../core/digest.js';
import { sha256Digest } from '../../../core/digest.js';
import { eventOrClose } from '../../../core/event-or-close.js';
import { InvalidParameterError, NotFoundError, UnauthorizedError } from '../../../core/errors.js';
import { shortId } from '../../../core/ids.js';
import { optimizingWindow } from '../../../core/optimizing-window.js';
import type { ImageConfig, ImageIndex, ImageManifest } from '../../../oci/image-types.js';
import { familiarName, familiarString, type ImageReference } from '../../../oci/reference.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { LayerBlobRef } from '../../../store/metadata/image-store.js';
import type { ProgressSink } from '../archive/progress.js';
import { LeaseSet } from '../archive/lease-set.js';
import type { ImageService } from '../image-service.js';
import { fetchBlob, type BlobTee } from './blob-fetch.js';
import { checkImageManifest, isIndex, MANIFEST_ACCEPT, parsePlatform, selectManifest } from './manifest-select.js';
import { LayerProgress, runLimited } from './progress-bar.js';
import { apiHost, type RegistrySettings } from './registry-hosts.js';
import { failure, readBytes, RegistryHttp, type RegistryCredentials } from './registry-http.js';

export interface PullDeps {
  images: ImageService;
  content: ContentStore;
  settings: RegistrySettings;
}

export interface PullOptions {
  platform?: string;
  creds?: RegistryCredentials;
  onProgress: ProgressSink;
  /** Blobs downloaded at once (dockerd's max-concurrent-downloads). */
  concurrency?: number;
}

export interface PullResult {
  id: Digest;
  manifestDigest: Digest;
  /** Bytes received from the registry by this pull (resumed blobs count only their rest). */
  bytesReceived: number;
}

const MAX_MANIFEST = 8 * 1024 * 1024;
const MAX_CONFIG = 16 * 1024 * 1024;

/** Splits `localhost:5000/a/b` into the registry host and the repository path on it. */
export function splitRepository(repository: string): { domain: string; path: string } {
  const slash = repository.indexOf('/');
  return { domain: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

/**
 * The hosts to try for a repository, in order: the mirrors of its hosts.toml, Docker Hub's
 * mirrors (docker.io), then the registry itself (or the server hosts.toml names). A mirror given
 * as http:// joins the insecure registries of this pull.
 */
async function endpoints(domain: string, settings: RegistrySettings): Promise<{ hosts: string[]; settings: RegistrySettings }> {
  const cfg = settings.hostsDir ? await settings.hostsDir.forRegistry(domain) : { mirrors: [], server: undefined };
  const hub = domain === 'docker.io' ? settings.mirrors.map((m) => new URL(m.includes('://') ? m : `https://${m}`).host) : [];
  const hosts = [...cfg.mirrors.map((m) => m.host), ...hub, cfg.server?.host ?? apiHost(domain)];
  const insecure = [...cfg.mirrors, ...(cfg.server ? [cfg.server] : [])].filter((e) => e.insecure).map((e) => e.host);
  return { hosts, settings: insecure.length > 0 ? { ...settings, insecureRegistries: [...settings.insecureRegistries, ...insecure] } : settings };
}

/**
 * One `docker pull` of one reference. Blobs download in parallel into partial files (resumable
 * after a crash), each verified against its digest; only when all are verified do they enter the
 * store, leased, and the image is added and tagged. Until then nothing of the pull is visible.
 */
export async function pullImage(deps: PullDeps, ref: ImageReference, opts: PullOptions): Promise<PullResult> {
  const { domain, path } = splitRepository(ref.repository);
  const shown = ref.digest ?? ref.tag ?? 'latest';
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const display = familiarString(ref);
  let lastError: unknown;
  const { hosts, settings } = await endpoints(domain, deps.settings);
  for (const host of hosts) {
    const http = new RegistryHttp(host, opts.creds, settings);
    let manifest;
    try {
      manifest = await fetchManifest(http, path, reference, display);
    } catch (err) {
      lastError = err;
      continue;
    }
    opts.onProgress({ status: `Pulling from ${familiarName(ref.repository)}`, id: shown });
    return pullFrom(deps, http, ref, path, manifest, opts);
  }
  throw lastError;
}

/**
 * Unpacks a layer while its blob downloads (network → digest → decompress → untar in one pass,
 * no second read of the blob) when the unpacker can take it now (LayerUnpacker.streamLayer).
 * The blob still goes to the store as before; the layer is recorded only once the download's
 * digest check passed, and `finish(false)` (a resumed download, or one another pull made) sends
 * the layer back to the unpack from the store.
 */
async function startUnpack(deps: PullDeps, layers: LayerBlobRef[], layer: LayerBlobRef): Promise<{ tee: BlobTee; done: Promise<boolean>; finish: (teed: boolean) => void; fail: (err: unknown) => void } | undefined> {
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const verified = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const streamed = await deps.images.streamLayer(layers, layers.indexOf(layer), verified);
  if (!streamed) return undefined;
  const { feed, done } = streamed;
  const fail = (err: unknown): void => {
    feed.destroy(err instanceof Error ? err : new Error(String(err)));
    settle?.reject(err);
  };
  return {
    done,
    // An unpack that failed stops taking bytes; the download goes on (ensureLayers unpacks from the store).
    tee: (chunk) => (feed.destroyed || feed.write(chunk) ? undefined : eventOrClose(feed, 'drain')),
    finish: (teed) => {
      if (!teed) return fail(new Error('the layer was not downloaded in one pass; it is unpacked from the store'));
      // A feed its unpack gave up on is destroyed already; the unpack then reports its own failure.
      if (!feed.destroyed) feed.end();
      settle?.resolve();
    },
    fail,
  };
}

async function fetchManifest(http: RegistryHttp, path: string, reference: string, display: string): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }> {
  const denied = (): NotFoundError => new NotFoundError(`pull access denied for ${display.replace(/[:@][^/]*$/, '')}, repository does not exist or may require 'docker login'`);
  let res;
  try {
    res = await http.request('GET', `/v2/${path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT }, scope: `repository:${path}:pull` });
  } catch (err) {
    // Without credentials a refusal reads as docker's; with wrong ones the registry's reason stays.
    if (err instanceof UnauthorizedError && !http.hasCredentials) throw denied();
    throw err;
  }
  if (res.statusCode === 404) {
    await failure(res, '');
    throw new NotFoundError(`manifest for ${display} not found: manifest unknown`);
  }
  if (res.statusCode === 401) {
    res.resume();
    throw denied();
  }
  if (res.statusCode !== 200) throw await failure(res, `failed to fetch the manifest of ${display}`);
  const bytes = await readBytes(res, MAX_MANIFEST);
  const digest = sha256Digest(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new InvalidParameterError(`manifest verification failed for ${display}: the registry sent content hashing to ${digest}`);
  }
  const headerType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  const bodyType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
  return { bytes, mediaType: bodyType ?? headerType, digest };
}

async function pullFrom(deps: PullDeps, http: RegistryHttp, ref: ImageReference, path: string, top: { bytes: Buffer; mediaType: string; digest: Digest }, opts: PullOptions): Promise<PullResult> {
  const display = familiarString(ref);
  let manifestBytes = top.bytes;
  if (isIndex(top.mediaType)) {
    const chosen = selectManifest(JSON.parse(top.bytes.toString('utf8')) as ImageIndex, parsePlatform(opts.platform));
    manifestBytes = (await fetchManifest(http, path, chosen.digest, `${ref.repository}@${chosen.digest}`)).bytes;
  } else if (opts.platform) {
    // A single-platform image is taken as it is; its config says what it runs on.
  }
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
  checkImageManifest(manifest);
  const configDigest = manifest.config.digest as Digest;
  const cfgRes = await http.request('GET', `/v2/${path}/blobs/${configDigest}`, { scope: `repository:${path}:pull` });
  if (cfgRes.statusCode !== 200) throw await failure(cfgRes, `failed to fetch the image config ${configDigest} of ${display}`);
  const configBytes = await readBytes(cfgRes, MAX_CONFIG);
  if (sha256Digest(configBytes) !== configDigest) throw new InvalidParameterError(`image config verification failed for ${display}: the registry sent content that does not hash to ${configDigest}; nothing was stored`);
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw new InvalidParameterError(`image ${display} is invalid: its config lists ${diffIds.length} layers, its manifest ${manifest.layers.length}`);
  if (opts.platform) {
    const want = parsePlatform(opts.platform);
    if (config.os !== want.os || config.architecture !== want.architecture) {
      throw new InvalidParameterError(`image ${display} is ${config.os}/${config.architecture}, not the requested ${want.os}/${want.architecture}`);
    }
  }
  const layers: LayerBlobRef[] = manifest.layers.map((l, i) => ({ diffId: diffIds[i] as Digest, digest: l.digest as Digest, mediaType: l.mediaType, size: l.size }));
  // Leased before anything is looked up: a layer found "already there" must not be collected by a
  // removal running meanwhile, before the image that holds it is recorded.
  const leases = new LeaseSet(deps.images.leases);
  for (const layer of layers) leases.add(layer.digest);
  leases.add(configDigest);
  let closeWindow: (() => void) | undefined;
  try {
    const progress = new LayerProgress(opts.onProgress);
    const previous = ref.tag !== undefined ? await deps.images.catalog.tryResolve(`${ref.repository}:${ref.tag}`) : undefined;
    const present = await deps.images.catalog.tryResolve(configDigest);
    let bytesReceived = 0;
    const todo: LayerBlobRef[] = [];
    const seen = new Set<string>();
    for (const layer of layers) {
      if (seen.has(layer.digest)) continue;
      seen.add(layer.digest);
      if (present || (await deps.content.has(layer.digest))) progress.status(shortId(layer.digest), 'Already exists');
      else {
        progress.status(shortId(layer.digest), 'Pulling fs layer');
        todo.push(layer);
      }
    }
    // The compilers, for the bytes to come (core/optimizing-window.ts).
    closeWindow = optimizingWindow(todo.reduce((n, l) => n + l.size, 0));
    const concurrency = opts.concurrency ?? 3;
    for (const layer of todo.slice(concurrency)) progress.status(shortId(layer.digest), 'Waiting');
    const streamed: Array<Promise<boolean>> = [];
    try {
      await runLimited(todo, concurrency, async (layer) => {
        const id = shortId(layer.digest);
        const unpack = await startUnpack(deps, layers, layer);
        if (unpack) streamed.push(unpack.done);
        let got;
        try {
          got = await fetchBlob(http, path, layer.digest, layer.size, deps.content, (current) => progress.bytes(id, 'Downloading', current, layer.size), unpack?.tee);
        } catch (err) {
          unpack?.fail(err);
          throw err;
        }
        unpack?.finish(got.teed);
        bytesReceived += got.received;
        progress.status(id, 'Verifying Checksum');
        progress.status(id, 'Download complete');
      });
    } catch (err) {
      // A layer unpacked as it downloaded may be recorded already; with no image to hold it, the
      // sweep takes it (once its unpack has settled: garbage collection skips layers in flight).
      if (streamed.length > 0) {
        await Promise.all(streamed);
        await deps.images.gc().catch(() => undefined);
      }
      throw err;
    }
    bytesReceived += configBytes.length;
    // Everything is verified: now the blobs enter the store.
    for (const layer of todo) await deps.content.commitPartial(layer.digest);
    for (const layer of todo) progress.status(shortId(layer.digest), 'Extracting');
    const id = await deps.images.addImage({ config: configBytes, layers });
    for (const layer of todo) progress.status(shortId(layer.digest), 'Pull complete');
    await deps.images.addRepoDigest(id, ref.repository, top.digest);
    if (ref.tag !== undefined) await deps.images.tag(id, ref.repository, ref.tag);
    opts.onProgress({ status: `Digest: ${top.digest}` });
    const upToDate = previous?.id === id;
    opts.onProgress({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${display}` });
    return { id, manifestDigest: top.digest, bytesReceived };
  } finally {
    closeWindow?.();
    leases.release();
  }
}
