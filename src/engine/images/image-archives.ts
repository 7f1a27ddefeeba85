import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { ImageService } from './image-service.js';
import { loadImages } from './archive/image-loader.js';
import { saveImages } from './archive/image-saver.js';
import { fetchImportSource, importImage, type ImportOptions } from './archive/image-importer.js';

export type { ImportOptions };
import type { ProgressMessage } from './archive/progress.js';


/** save, load and import: images moving in and out of the store as tar archives. */
export class ImageArchives {
  constructor(private readonly deps: { images: ImageService; content: ContentStore }) {}

  load(input: Readable, opts: { quiet: boolean; onProgress: (m: ProgressMessage) => void }): Promise<string[]> {
    return loadImages(this.deps, input, opts);
  }

  save(names: string[]): Promise<Readable> {
    return saveImages(this.deps, names);
  }

  /** `source` is the request body (`fromSrc=-`) or a URL to fetch the tarball from. */
  async import(source: Readable | string, opts: ImportOptions): Promise<Digest> {
    if (typeof source === 'string') return importImage(this.deps, await fetchImportSource(source), { ...opts, source });
    return importImage(this.deps, source, opts);
  }
}
