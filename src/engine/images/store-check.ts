import { chainIds } from '../../core/digest.js';
import type { ImageDeps } from './image-catalog.js';

/**
 * The image store's invariants, checked: every image record's config and layer blobs are in the
 * content store, every layer its diff IDs chain to has a record, and every such record's layer is
 * on the storage driver. Deletions go record first, data after (image-gc.ts), so a crash at any
 * point may leave garbage but never a record that points at something half deleted. Returns the
 * problems found, empty when the store is whole.
 */
export async function checkImageStore(deps: Pick<ImageDeps, 'content' | 'images' | 'layers' | 'snapshotter'>): Promise<string[]> {
  const problems: string[] = [];
  const onDisk = new Set(await deps.snapshotter.listLayers());
  for (const record of await deps.images.list()) {
    if (!(await deps.content.has(record.id))) problems.push(`image ${record.id}: config blob missing`);
    for (const l of record.layers) if (!(await deps.content.has(l.digest))) problems.push(`image ${record.id}: layer blob ${l.digest} missing`);
    for (const chainId of chainIds(record.layers.map((l) => l.diffId))) {
      const layer = await deps.layers.get(chainId);
      if (!layer) problems.push(`image ${record.id}: layer ${chainId} has no record`);
      else if (!onDisk.has(layer.snapshotId)) problems.push(`image ${record.id}: layer ${chainId} (${layer.snapshotId}) missing from the storage driver`);
    }
  }
  return problems;
}
