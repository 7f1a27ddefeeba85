import { topLayerId, type Digest } from '../../core/digest.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { ImageService } from '../images/image-service.js';

/** A throwaway rootfs of an image (or empty), mounted for the duration of `fn`, then removed. */
export async function withImageRootfs<T>(d: { images: ImageService; snapshotter: Snapshotter; log: Logger }, imageId: Digest | null, fn: (root: string) => Promise<T>): Promise<T> {
  const id = newId();
  await d.snapshotter.createRootfs(id, imageId ? topLayerId((await d.images.resolve(imageId)).record.layers) : null);
  try {
    return await fn(await d.snapshotter.mountRootfs(id));
  } finally {
    await d.snapshotter.unmountRootfs(id).catch(() => undefined);
    await d.snapshotter.removeRootfs(id).catch((err: unknown) => d.log.warn({ err }, 'removing a build rootfs failed'));
  }
}
