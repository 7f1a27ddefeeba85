import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { ImageService } from '../images/image-service.js';
import { rootfsParent } from '../rootfs/index.js';
import type { ContainerRecord } from './container-types.js';

export interface ContainerSizes {
  /** SizeRw: what the container wrote. */
  rw: number;
  /** SizeRootFs: its image's layers plus what it wrote. */
  rootFs: number;
}

/**
 * `ps -s`, `inspect -s` and the space a prune frees. As docker does, a size that cannot be
 * computed (a rootfs being removed meanwhile) is logged and reported as 0 rather than failing
 * the whole listing.
 */
export async function containerSizes(d: { snapshotter: Snapshotter; images: ImageService; log: Logger }, r: ContainerRecord): Promise<ContainerSizes> {
  let rw = 0;
  try {
    rw = await d.snapshotter.diffSize(r.Id, await rootfsParent(d.images, r.Image));
  } catch (err) {
    d.log.warn({ err, id: r.Id }, 'cannot compute the size of a container');
  }
  const image = await d.images.catalog.tryResolve(r.Image);
  return { rw, rootFs: rw + (image ? await d.images.imageSize(image.record) : 0) };
}
