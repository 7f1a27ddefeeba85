/**
 * Test support for the archive tests (not shipped code paths): a real image stack in a temp dir,
 * and a fingerprint of everything on disk that a failed load must leave unchanged.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { errnoCode } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import { VfsSnapshotter } from '../../../drivers/snapshotter/vfs-snapshotter.js';
import { OverlaySnapshotter } from '../../../drivers/snapshotter/overlay-snapshotter.js';
import { ContentStore } from '../../../store/content/content-store.js';
import { LayerStore } from '../../../store/layers/layer-store.js';
import { ImageStore } from '../../../store/metadata/image-store.js';
import { ReferenceStore } from '../../../store/metadata/reference-store.js';
import { ImageService } from '../image-service.js';
import type { ArchiveDeps } from './archive-deps.js';

export interface TestStack {
  root: string;
  content: ContentStore;
  imageStore: ImageStore;
  layers: LayerStore;
  snapshotter: VfsSnapshotter | OverlaySnapshotter;
  images: ImageService;
  deps: ArchiveDeps;
  /** Blobs, ingest leftovers, image records, repositories.json, layer records and layer dirs. */
  fingerprint(): Promise<string>;
}

/** A temp dir for one test file; the caller removes it in `after`. */
export function makeTestRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'berth-test-archive-'));
}

/**
 * The image stores of the stacks made, by test root: a tag's LastTagTime reaches the disk up to
 * 200 ms after the tag, and a removal racing that write fails with ENOTEMPTY.
 */
const storesByRoot = new Map<string, ImageStore[]>();

/** `overlay2` unpacks layers as the archive streams (UnpackAhead); its whiteouts need root. */
export async function createTestStack(root: string, driver: 'vfs' | 'overlay2' = 'vfs'): Promise<TestStack> {
  const content = new ContentStore(join(root, 'content'));
  const imageStore = new ImageStore(join(root, 'images'));
  const refs = new ReferenceStore(join(root, 'repositories.json'));
  const layers = new LayerStore(join(root, 'layers'));
  const snapshotter = driver === 'vfs' ? new VfsSnapshotter(join(root, 'vfs')) : new OverlaySnapshotter(join(root, 'overlay2'));
  for (const s of [content, imageStore, refs, layers, snapshotter]) await s.init();
  const testRoot = dirname(root);
  storesByRoot.set(testRoot, [...(storesByRoot.get(testRoot) ?? []), imageStore]);
  const images = new ImageService({ content, images: imageStore, refs, layers, snapshotter, log: silentLogger() });
  const list = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();
  const fingerprint = async (): Promise<string> =>
    JSON.stringify({
      blobs: await list(join(root, 'content', 'blobs', 'sha256')),
      ingest: await list(join(root, 'content', 'ingest')),
      images: (await imageStore.list()).sort((a, b) => a.id.localeCompare(b.id)),
      repositories: await readFile(join(root, 'repositories.json'), 'utf8').catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return null;
        throw err;
      }),
      layers: (await layers.list()).sort((a, b) => a.chainId.localeCompare(b.chainId)),
      snapshots: await snapshotter.listLayers(),
    });
  return { root, content, imageStore, layers, snapshotter, images, deps: { images, content }, fingerprint };
}

export async function removeTestRoot(root: string | undefined): Promise<void> {
  if (root === undefined) return;
  await Promise.all((storesByRoot.get(root) ?? []).map((s) => s.flush()));
  storesByRoot.delete(root);
  await rm(root, { recursive: true, force: true });
}
