import type { ImageService } from '../image-service.js';
import type { ContentStore } from '../../../store/content/content-store.js';

/** What image archives (load, save, import) need from the engine. */
export interface ArchiveDeps {
  images: ImageService;
  content: ContentStore;
}
