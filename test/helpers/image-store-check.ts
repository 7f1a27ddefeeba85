import { join } from 'node:path';
import { chooseSnapshotter } from '../../src/drivers/snapshotter/choose-snapshotter.js';
import { checkImageStore } from '../../src/engine/images/store-check.js';
import { ContentStore } from '../../src/store/content/content-store.js';
import { ImageStore } from '../../src/store/metadata/image-store.js';
import { LayerStore } from '../../src/store/layers/layer-store.js';

/** The integrity check of a stopped daemon's image store (store-check.ts), read from its data root. */
export async function checkDataRoot(dataRoot: string, driver = 'overlay2'): Promise<string[]> {
  const content = new ContentStore(join(dataRoot, 'content'));
  const images = new ImageStore(join(dataRoot, 'image', 'images'));
  const layers = new LayerStore(join(dataRoot, 'image', 'layers'));
  for (const s of [content, images, layers]) await s.init();
  const snapshotter = await chooseSnapshotter(dataRoot, driver);
  return checkImageStore({ content, images, layers, snapshotter });
}
