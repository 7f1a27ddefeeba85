import { join } from 'node:path';
import { InvalidParameterError, UnavailableError } from '../../core/errors.js';
import { probeOverlay } from './overlay-mount.js';
import { OverlaySnapshotter } from './overlay-snapshotter.js';
import type { Snapshotter } from './snapshotter.js';
import { VfsSnapshotter } from './vfs-snapshotter.js';

/**
 * Picks and initialises the storage driver for `dataRoot` (`--storage-driver`): overlay2 when asked
 * for or when nothing is asked and a real probe mount works on that filesystem (it fails, for
 * instance, when the data root itself is on overlayfs); vfs when asked for or as the fallback.
 */
export async function chooseSnapshotter(
  dataRoot: string,
  requested: string | undefined,
  log: (msg: string) => void = () => undefined,
): Promise<Snapshotter> {
  switch (requested) {
    case 'overlay2':
    case 'overlay': {
      const why = await probeOverlay(join(dataRoot, 'overlay2', 'probe'));
      if (why !== null) {
        throw new UnavailableError(`storage driver "overlay2" cannot be used on ${dataRoot}: ${why}; use --storage-driver vfs`);
      }
      return await initialised(new OverlaySnapshotter(join(dataRoot, 'overlay2'), log));
    }
    case 'vfs':
      return await initialised(new VfsSnapshotter(join(dataRoot, 'vfs'), log));
    case undefined: {
      const why = await probeOverlay(join(dataRoot, 'overlay2', 'probe'));
      if (why === null) return await initialised(new OverlaySnapshotter(join(dataRoot, 'overlay2'), log));
      log(`storage driver overlay2 is not usable on ${dataRoot} (${why}); falling back to vfs, which copies every layer`);
      return await initialised(new VfsSnapshotter(join(dataRoot, 'vfs'), log));
    }
    default:
      throw new InvalidParameterError(`unknown storage driver "${requested}": use overlay2 or vfs`);
  }
}

async function initialised<T extends OverlaySnapshotter | VfsSnapshotter>(snapshotter: T): Promise<T> {
  await snapshotter.init();
  return snapshotter;
}
