/**
 * Test support: hand-built image archives in the formats docker and OCI tools write, so the
 * loader is tested against the formats themselves rather than against our own saver.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { digestHex, sha256Digest, type Digest } from '../../../core/digest.js';
import { hostPlatform, MEDIA_TYPES } from '../../../oci/image-types.js';

export interface TarItem {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  linkname?: string;
}

export async function tarOf(items: readonly TarItem[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const item of items) {
    const { name, type = 'file', linkname } = item;
    await new Promise<void>((resolve, reject) => {
      const header = { name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), ...(linkname !== undefined ? { linkname } : {}) };
      pack.entry(header, Buffer.from(item.data ?? ''), (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** An uncompressed layer tar holding the given files, and its diff ID. */
export async function layerTar(files: Record<string, string>): Promise<{ tar: Buffer; diffId: Digest }> {
  const tar = await tarOf(Object.entries(files).map(([name, data]) => ({ name, data })));
  return { tar, diffId: sha256Digest(tar) };
}

export function imageConfig(diffIds: readonly string[], extra: Record<string, unknown> = {}): Buffer {
  const p = hostPlatform();
  return Buffer.from(
    JSON.stringify({
      architecture: p.architecture,
      os: p.os,
      created: '2024-01-02T03:04:05Z',
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'test' })),
      ...extra,
    }),
  );
}

export interface FixtureImage {
  config: Buffer;
  layers: Buffer[];
  tags: string[];
}

const blob = (data: Buffer): TarItem => ({ name: `blobs/sha256/${digestHex(sha256Digest(data))}`, data });

/** docker 25+'s `docker save`: an OCI layout with uncompressed layers plus manifest.json. */
export function docker25Items(images: readonly FixtureImage[]): TarItem[] {
  const blobs = new Map<string, TarItem>();
  const index: unknown[] = [];
  const manifests: unknown[] = [];
  for (const img of images) {
    const layers = img.layers.map((l) => ({ mediaType: MEDIA_TYPES.ociLayer, digest: sha256Digest(l), size: l.length }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(img.config), size: img.config.length }, layers,
    }));
    for (const data of [img.config, ...img.layers, manifest]) blobs.set(sha256Digest(data), blob(data));
    for (const tag of img.tags) {
      index.push({ mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest(manifest), size: manifest.length,
        annotations: { 'io.containerd.image.name': `docker.io/library/${tag}`, 'org.opencontainers.image.ref.name': tag.split(':')[1] } });
    }
    manifests.push({ Config: `blobs/sha256/${digestHex(sha256Digest(img.config))}`, RepoTags: img.tags, Layers: layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`) });
  }
  return [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...[...blobs.values()].sort((a, b) => a.name.localeCompare(b.name)),
    { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: index }) },
    { name: 'manifest.json', data: JSON.stringify(manifests) },
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
  ];
}

/**
 * docker ≤ 24's `docker save`: `<id>/layer.tar` per layer (a layer repeated in a later image is
 * a symlink to the first copy), `<config hex>.json`, manifest.json and repositories.
 */
export function legacyItems(images: readonly FixtureImage[]): TarItem[] {
  const items: TarItem[] = [];
  const firstDir = new Map<string, string>();
  const manifests: unknown[] = [];
  for (const [n, img] of images.entries()) {
    const layerPaths: string[] = [];
    for (const [i, layer] of img.layers.entries()) {
      const dir = digestHex(sha256Digest(`${n}/${i}`)); // v1 IDs are synthetic; any hex will do
      const diff = sha256Digest(layer);
      const first = firstDir.get(diff);
      items.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/VERSION`, data: '1.0' }, { name: `${dir}/json`, data: '{}' });
      if (first) items.push({ name: `${dir}/layer.tar`, type: 'symlink', linkname: `../${first}/layer.tar` });
      else items.push({ name: `${dir}/layer.tar`, data: layer });
      firstDir.set(diff, first ?? dir);
      layerPaths.push(`${dir}/layer.tar`);
    }
    const configName = `${digestHex(sha256Digest(img.config))}.json`;
    items.push({ name: configName, data: img.config });
    manifests.push({ Config: configName, RepoTags: img.tags, Layers: layerPaths });
  }
  items.push({ name: 'manifest.json', data: JSON.stringify(manifests) }, { name: 'repositories', data: '{}' });
  return items;
}

/**
 * A plain OCI image layout (as buildkit or skopeo write it) with gzip layers, whose index.json
 * points at a multi-platform index: the host's platform and a foreign one.
 */
export function ociLayoutItems(img: FixtureImage, name: string): TarItem[] {
  const gz = img.layers.map((l) => gzipSync(l));
  const layers = gz.map((g) => ({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha256Digest(g), size: g.length }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(img.config), size: img.config.length }, layers,
  }));
  const foreign = hostPlatform().architecture === 's390x' ? 'ppc64le' : 's390x';
  const nested = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      // The foreign platform's manifest is named but absent, as in a partial save.
      { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest('absent'), size: 6, platform: { os: 'linux', architecture: foreign } },
      { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest(manifest), size: manifest.length, platform: hostPlatform() },
    ],
  }));
  const index = { schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociIndex, digest: sha256Digest(nested), size: nested.length, annotations: { 'org.opencontainers.image.ref.name': name } }] };
  return [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', data: JSON.stringify(index) },
    ...[img.config, ...gz, manifest, nested].map(blob),
  ];
}

export function streamOf(data: Buffer): Readable {
  return Readable.from([data], { objectMode: false });
}
