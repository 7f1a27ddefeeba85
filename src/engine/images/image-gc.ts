import { chainIds, digestHex, type Digest } from '../../core/digest.js';
import type { ImageDeps } from './image-catalog.js';
import { compareStrings } from '../../core/compare.js';

/**
 * Mark and sweep: everything reachable from an image record (config, layer blobs, unpacked
 * layers and their parents) stays; the rest goes. Blobs leased by operations in flight stay too.
 */
export async function collectGarbage(
  deps: Pick<ImageDeps, 'content' | 'images' | 'layers' | 'snapshotter'>,
  leases: { has(digest: Digest): boolean },
  /** Removes a layer unless it is being unpacked (LayerUnpacker.collectLayer). */
  guard: { collectLayer(chainId: string, remove: () => Promise<void>): Promise<boolean> } = { collectLayer: async (_c, remove) => (await remove(), true) },
): Promise<Digest[]> {
  const blobs = new Set<Digest>();
  const layers = new Set<string>();
  for (const record of await deps.images.list()) {
    blobs.add(record.id);
    for (const l of record.layers) blobs.add(l.digest);
    for (const c of chainIds(record.layers.map((l) => l.diffId))) layers.add(c);
  }
  const removed: Digest[] = [];
  // A layer is leased by its chain ID while an image being added stands on it (addImage).
  for (const layer of await deps.layers.list()) {
    if (layers.has(layer.chainId) || leases.has(layer.chainId)) continue;
    const gone = await guard.collectLayer(layer.chainId, async () => {
      await deps.snapshotter.removeLayer(layer.snapshotId);
      await deps.layers.delete(layer.chainId);
    });
    if (gone) removed.push(layer.chainId);
  }
  // Layers on disk with no record are leftovers of a crash during unpack (or an unpack placing
  // its directory just before its record: the guard skips those).
  const known = new Set((await deps.layers.list()).map((l) => l.snapshotId));
  for (const id of await deps.snapshotter.listLayers()) {
    if (!known.has(id) && !leases.has(`sha256:${id}`)) await guard.collectLayer(`sha256:${id}`, () => deps.snapshotter.removeLayer(id));
  }
  // Leases are read live, in the same step as each unlink: a load or pull that stored or found a
  // blob while this collection ran has leased it by then (ExpectedBlob.lease).
  for (const digest of await deps.content.list()) deps.content.deleteUnless(digest, () => blobs.has(digest) || leases.has(digest));
  return removed.sort((a, b) => compareStrings(digestHex(a), digestHex(b)));
}
