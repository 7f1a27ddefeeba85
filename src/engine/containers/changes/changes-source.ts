import { chainIds, digestHex } from '../../../core/digest.js';
import type { Snapshotter } from '../../../drivers/snapshotter/snapshotter.js';
import type { ImageService } from '../../images/image-service.js';
import type { ContainerRecord } from '../container-types.js';
import type { ChangesSource } from './change-types.js';

/** Where a container's changes are read from, by storage driver (see ChangesSource). */
export async function changesSourceOf(d: { snapshotter: Snapshotter; images: ImageService }, r: ContainerRecord): Promise<ChangesSource> {
  const upper = d.snapshotter.rootfsChangesDir(r.Id);
  if (upper) {
    const lower = d.snapshotter.rootfsData(r.Id).LowerDir;
    return { upperDir: upper, lowerDirs: lower ? lower.split(':') : [] };
  }
  const img = await d.images.resolve(r.Image);
  const chains = chainIds(img.record.layers.map((l) => l.diffId));
  const top = chains[chains.length - 1];
  return { rootfs: await d.snapshotter.mountRootfs(r.Id), baseDir: top ? d.snapshotter.layerPath(digestHex(top)) : null };
}
