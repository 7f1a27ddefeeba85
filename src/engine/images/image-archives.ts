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

  async load(input: Readable, opts: { quiet: boolean; onProgress: (m: ProgressMessage) => void }): Promise<string[]> {
    const names = await loadImages(this.deps, input, opts);
    for (const name of names) this.event('load', name);
    return names;
  }

  async save(names: string[]): Promise<Readable> {
    const out = await saveImages(this.deps, names);
    for (const name of names) this.event('save', name);
    return out;
  }

  /** `source` is the request body (`fromSrc=-`) or a URL to fetch the tarball from. */
  async import(source: Readable | string, opts: ImportOptions): Promise<Digest> {
    const id = typeof source === 'string' ? await importImage(this.deps, await fetchImportSource(source), { ...opts, source }) : await importImage(this.deps, source, opts);
    this.event('import', id);
    return id;
  }

  private event(action: string, name: string): void {
    this.deps.images.publish({ type: 'image', action, id: name, attributes: { name } });
  }
}
