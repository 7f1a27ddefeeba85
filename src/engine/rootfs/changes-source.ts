import { topLayerId } from '../../core/digest.js';
import type { ImageService } from '../images/image-service.js';

/**
 * The layer a container's rootfs was made on (createRootfs' parent), which the snapshotter's
 * diff compares with. An image removed since (`rmi -f`) leaves none: overlay does not need it.
 */
export async function rootfsParent(images: ImageService, image: string): Promise<string | null> {
  const img = await images.catalog.tryResolve(image);
  return img ? topLayerId(img.record.layers) : null;
}
