import type { Digest } from '../../core/digest.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import { formatReference, parseReferenceWithDefaultTag } from '../../oci/reference.js';
import type { ContentStore } from '../../store/content/content-store.js';
import { exportRootfs } from '../rootfs/index.js';
import { saveSelection } from '../images/archive/image-saver.js';
import type { ImageService } from '../images/image-service.js';
import { withImageRootfs } from './image-rootfs.js';
import type { BuildProgress, ProgressVertex, SolveInputs } from './solve-types.js';
import type { ExportSpec } from './solve-spec.js';

export interface ExportDeps {
  images: ImageService;
  content: ContentStore;
  snapshotter: Snapshotter;
  log: Logger;
}

/** BuildKit's exporter vertex names (exporter/*: Name()). */
const VERTEX: Record<ExportSpec['type'], string> = {
  image: 'exporting to image',
  docker: 'exporting to docker image format',
  oci: 'exporting to oci image format',
  local: 'exporting to client directory',
  tar: 'exporting to client tarball',
};

/** A one-off status line, started and finished at once (BuildKit's progress.OneOff). */
function oneOff(v: ProgressVertex, id: string): void {
  v.status(id, { done: true });
}

/**
 * Runs the Solve's exporters in request order on the built image and returns the exporter
 * response buildx reads (`containerimage.digest`, `containerimage.config.digest`, `image.name`:
 * BuildKit's exptypes keys). With dockerd's moby exporter the "digest" is the image ID; Berth
 * answers the same for every image exporter (there is no manifest until a push).
 */
export async function runExports(d: ExportDeps, imageId: Digest, exports: readonly ExportSpec[], inputs: SolveInputs, progress: BuildProgress): Promise<Record<string, string>> {
  const response: Record<string, string> = {};
  for (const spec of exports) {
    const v = progress.vertex(VERTEX[spec.type]);
    try {
      await exportOne(d, imageId, spec, inputs, v, response);
      v.done();
    } catch (err) {
      v.done(err);
      throw err;
    }
  }
  return response;
}

async function exportOne(d: ExportDeps, imageId: Digest, spec: ExportSpec, inputs: SolveInputs, v: ProgressVertex, response: Record<string, string>): Promise<void> {
  switch (spec.type) {
    case 'image': {
      oneOff(v, 'exporting layers');
      oneOff(v, `writing image ${imageId}`);
      for (const name of spec.names) {
        const full = formatReference(parseReferenceWithDefaultTag(name));
        v.status(`naming to ${full}`);
        await d.images.tag(imageId, name, undefined);
        v.status(`naming to ${full}`, { done: true });
      }
      setImageResponse(response, imageId, spec.names);
      return;
    }
    case 'docker':
    case 'oci': {
      oneOff(v, 'exporting layers');
      oneOff(v, `exporting config ${imageId}`);
      const refs = spec.names.map((n) => formatReference(parseReferenceWithDefaultTag(n)));
      const tarball = await saveSelection({ images: d.images, content: d.content }, new Map([[imageId, refs]]));
      v.status('sending tarball');
      await inputs.exportFile(tarball, spec.index);
      v.status('sending tarball', { done: true });
      setImageResponse(response, imageId, spec.names);
      return;
    }
    case 'local':
      v.status('copying files');
      await withImageRootfs(d, imageId, (root) => inputs.exportDir(root, spec.index));
      v.status('copying files', { done: true });
      return;
    case 'tar':
      v.status('sending tarball');
      await withImageRootfs(d, imageId, (root) => inputs.exportFile(exportRootfs(root, (m) => d.log.warn(m)), spec.index));
      v.status('sending tarball', { done: true });
      return;
  }
}

function setImageResponse(response: Record<string, string>, imageId: Digest, names: readonly string[]): void {
  response['containerimage.digest'] = imageId;
  response['containerimage.config.digest'] = imageId;
  // The first exporter that names the image answers for it (buildx reads one name list).
  if (names.length > 0 && response['image.name'] === undefined) response['image.name'] = names.map((n) => formatReference(parseReferenceWithDefaultTag(n))).join(',');
}
