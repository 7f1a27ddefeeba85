import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tarStream, { type Pack } from 'tar-stream';
import { digestHex, sha256Digest } from '../../../core/digest.js';
import { NotImplementedError, SystemError } from '../../../core/errors.js';
import { familiarName, familiarString, parseReference } from '../../../oci/reference.js';
import { MEDIA_TYPES, type Descriptor, type ImageManifest } from '../../../oci/image-types.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { LayerBlobRef } from '../../../store/metadata/image-store.js';
import type { ArchiveDeps } from './archive-deps.js';
import { decompress } from '../../../core/compression.js';
import { layerCompression } from './compression.js';
import { selectImages, type SaveSelection } from './select-images.js';

type SavedBlob = { mtime: Date; size: number } & ({ data: Buffer } | { layer: LayerBlobRef });

interface Layout {
  /** By hex digest: written in sorted order, as docker's directory walk does. */
  blobs: Map<string, SavedBlob>;
  documents: Array<[name: string, data: Buffer]>;
}

/**
 * `docker save` in docker 25+'s format: an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/`) plus docker's `manifest.json` and `repositories`. Layers are written
 * uncompressed (digest = diff ID) whatever their stored form, and config blobs byte for byte, so
 * a load gives back the same image IDs. Everything is resolved and measured before the stream
 * is returned: a missing image or a corrupt blob fails the call, not the middle of the download.
 */
export async function saveImages(deps: ArchiveDeps, names: string[]): Promise<Readable> {
  return saveSelection(deps, await selectImages(deps, names));
}

/**
 * The same archive for images picked by ID, each with the full references to record for it
 * (`docker.io/library/x:latest`), whether or not the store has those tags: BuildKit's docker and
 * oci exporters name an image in the tarball only.
 */
export async function saveSelection(deps: ArchiveDeps, selection: SaveSelection): Promise<Readable> {
  const layout = await buildLayout(deps, selection);
  const pack = tarStream.pack();
  writeLayout(deps.content, pack, layout).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return Readable.from(pack, { objectMode: false });
}

async function buildLayout(deps: ArchiveDeps, selection: SaveSelection): Promise<Layout> {
  const blobs = new Map<string, SavedBlob>();
  const index: Descriptor[] = [];
  const manifests: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const [id, tags] of selection) {
    const { record } = await deps.images.resolve(id);
    const config = await deps.content.readBytes(id);
    const mtime = createdTime(config);
    blobs.set(digestHex(id), { data: config, size: config.length, mtime });
    const layers: Descriptor[] = [];
    for (const layer of record.layers) {
      let blob = blobs.get(digestHex(layer.diffId));
      if (!blob) blobs.set(digestHex(layer.diffId), (blob = { layer, size: await uncompressedSize(deps.content, layer), mtime }));
      layers.push({ mediaType: MEDIA_TYPES.ociLayer, digest: layer.diffId, size: blob.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: id, size: config.length },
      layers,
    };
    const data = Buffer.from(JSON.stringify(manifest));
    const digest = sha256Digest(data);
    blobs.set(digestHex(digest), { data, size: data.length, mtime });
    const descriptor: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest, size: data.length };
    if (tags.length === 0) index.push(descriptor);
    for (const tag of tags) {
      const ref = parseReference(tag);
      index.push({ ...descriptor, annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' } });
      const top = record.layers[record.layers.length - 1];
      if (top && ref.tag !== undefined) (repositories[familiarName(ref.repository)] ??= {})[ref.tag] = digestHex(top.diffId);
    }
    manifests.push({
      Config: `blobs/sha256/${digestHex(id)}`,
      RepoTags: tags.length > 0 ? tags.map((t) => familiarString(parseReference(t))) : null,
      Layers: record.layers.map((l) => `blobs/sha256/${digestHex(l.diffId)}`),
    });
  }
  const json = (v: unknown, newline = ''): Buffer => Buffer.from(JSON.stringify(v) + newline);
  const documents: Array<[string, Buffer]> = [
    ['index.json', json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: index }, '\n')],
    ['manifest.json', json(manifests, '\n')],
    ['oci-layout', json({ imageLayoutVersion: '1.0.0' })],
  ];
  if (Object.keys(repositories).length > 0) documents.push(['repositories', json(repositories, '\n')]);
  return { blobs, documents };
}

function createdTime(config: Buffer): Date {
  const created = Date.parse((JSON.parse(config.toString('utf8')) as { created?: string }).created ?? '');
  return new Date(Number.isNaN(created) ? 0 : created);
}

/**
 * The size of a layer's tar: tar headers need it before the data. Compressed layers are
 * decompressed once to count (and to check they still match their diff ID).
 */
async function uncompressedSize(content: ContentStore, layer: LayerBlobRef): Promise<number> {
  if (layerCompressionOf(layer) === 'none') {
    const info = await content.info(layer.digest);
    if (!info) throw new SystemError(`layer blob ${layer.digest} is missing from the content store; remove the image and load or pull it again`);
    return info.size;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await layerStream(content, layer)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== layer.diffId) {
    throw new SystemError(`layer blob ${layer.digest} decompresses to ${actual}, not its diff ID ${layer.diffId}; remove the image and pull it again`);
  }
  return size;
}

function layerCompressionOf(layer: LayerBlobRef): 'none' | 'gzip' | 'zstd' {
  const kind = layerCompression(layer.mediaType);
  if (kind === undefined || kind === 'bzip2' || kind === 'xz') throw new NotImplementedError(`cannot save a layer of media type "${layer.mediaType}"`);
  return kind;
}

async function layerStream(content: ContentStore, layer: LayerBlobRef): Promise<Readable> {
  const kind = layerCompressionOf(layer);
  const raw = await content.readStream(layer.digest);
  return kind === 'none' ? raw : decompress(raw, kind);
}

async function writeLayout(content: ContentStore, pack: Pack, layout: Layout): Promise<void> {
  const now = new Date();
  // The slash is spelled out: docker's names have it and tar-stream 3.2 does not add it.
  for (const dir of ['blobs/', 'blobs/sha256/']) await writeEntry(pack, { name: dir, type: 'directory', mode: 0o755, mtime: now });
  for (const hex of [...layout.blobs.keys()].sort()) {
    const blob = layout.blobs.get(hex) as SavedBlob;
    const header = { name: `blobs/sha256/${hex}`, type: 'file' as const, mode: 0o644, mtime: blob.mtime, size: blob.size };
    await writeEntry(pack, header, 'data' in blob ? blob.data : await layerStream(content, blob.layer));
  }
  for (const [name, data] of layout.documents) await writeEntry(pack, { name, type: 'file', mode: 0o644, mtime: now }, data);
}

type EntryHeader = Parameters<Pack['entry']>[0];

/** Writes one entry, streaming with backpressure; settles once tar-stream has taken all of it. */
async function writeEntry(pack: Pack, header: EntryHeader, body?: Buffer | Readable): Promise<void> {
  let sink: ReturnType<Pack['entry']> | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    sink = body === undefined || Buffer.isBuffer(body) ? pack.entry(header, body ?? Buffer.alloc(0), cb) : pack.entry(header, cb);
  });
  done.catch(() => undefined); // observed below; a failing body must not leave it unhandled
  if (body !== undefined && !Buffer.isBuffer(body) && sink) {
    const out = sink;
    try {
      for await (const chunk of body) if (!out.write(chunk as Buffer)) await drained(out);
      out.end(undefined); // streamx's typing wants the optional last chunk spelled out
    } catch (err) {
      out.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }
  await done;
}

/** Resolves on 'drain'; rejects if the entry closes first (the consumer went away). */
function drained(sink: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: unknown): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', onClose);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error('the archive stream was closed'));
    };
    const onDrain = (): void => finish();
    const onClose = (err?: unknown): void => finish(err ?? new Error('the archive stream was closed'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    sink.on('error', onClose);
  });
}
