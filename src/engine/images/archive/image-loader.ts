import type { Readable } from 'node:stream';
import type { Digest } from '../../../core/digest.js';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import { shortId } from '../../../core/ids.js';
import { familiarString, parseReference } from '../../../oci/reference.js';
import type { ArchiveDeps } from './archive-deps.js';
import { archiveError } from './archive-error.js';
import { planImages, type PlannedImage } from './plan-images.js';
import type { ProgressSink } from './progress.js';
import { LeaseSet } from './lease-set.js';
import { readArchive } from './read-archive.js';
import { OPEN_AT_BYTES, optimizingWindow } from '../../../core/optimizing-window.js';
import type { UnpackAhead } from '../unpack-ahead.js';

export interface LoadOptions {
  /** docker's `--quiet`: no per-layer progress; the "Loaded image" lines still come. */
  quiet: boolean;
  onProgress: ProgressSink;
}

/**
 * `docker load`: reads a `docker save` archive (docker 25+ OCI-based or ≤ 24 legacy) or an OCI
 * image layout tar and adds its images. All or nothing: images are tagged only once every image
 * of the archive is stored, and a failure takes back what this load added, so the store is left
 * as it was. Returns the names printed as "Loaded image" (tags, or IDs of untagged images).
 */
export async function loadImages(deps: ArchiveDeps, input: Readable, opts: LoadOptions): Promise<string[]> {
  const leases = new LeaseSet(deps.images.leases);
  const ahead = deps.images.unpackAhead();
  const compilers = new CompilersForBigLoads();
  let plans: PlannedImage[];
  try {
    plans = await addAll(deps, input, opts, leases, ahead, compilers);
  } catch (err) {
    compilers.close();
    await ahead?.discardRest();
    leases.release();
    // The user's error is the one to report; a sweep that fails leaves garbage for the next one.
    await deps.images.gc().catch(() => undefined);
    throw archiveError(err);
  }
  compilers.close();
  await ahead?.discardRest();
  try {
    return await tagAll(deps, plans, opts);
  } finally {
    leases.release();
    // The archive's manifests and any unreferenced files are garbage now. The images are in
    // place whatever happens here, so a failed sweep is left for the next one.
    await deps.images.gc().catch(() => undefined);
  }
}

/** Stores the archive and adds its images; on failure removes the images that were not there before. */
async function addAll(deps: ArchiveDeps, input: Readable, opts: LoadOptions, leases: LeaseSet, ahead: UnpackAhead | undefined, compilers: CompilersForBigLoads): Promise<PlannedImage[]> {
  const added: Digest[] = [];
  try {
    const archive = await readArchive(deps.content, input, (d) => leases.add(d), { ...(ahead ? { ahead } : {}), onEntry: (size) => compilers.seen(size) });
    const plans = await planImages(deps.content, archive, (d) => leases.add(d));
    const reported = new Set<Digest>();
    for (const plan of plans) {
      const existed = (await deps.images.catalog.tryResolve(plan.id)) !== undefined;
      // Counted before addImage: a record written just before a later step failed must go too.
      if (!existed) added.push(plan.id);
      await deps.images.addImage({ config: plan.config, layers: plan.layers, ...(ahead ? { ahead } : {}) });
      if (existed || opts.quiet) continue;
      for (const layer of plan.layers) {
        if (reported.has(layer.diffId)) continue;
        reported.add(layer.diffId);
        opts.onProgress({ status: 'Loading layer', id: shortId(layer.diffId), progressDetail: { current: layer.size, total: layer.size } });
      }
    }
    return plans;
  } catch (err) {
    // Untagged and new, so no tag or container holds them and remove() simply deletes the record
    // (and the layers only they used); the caller's gc then takes their blobs, leased until then.
    for (const id of added) await deps.images.remove(id, { force: true }).catch(keepOriginalError);
    throw err;
  }
}

/**
 * V8's optimizing compilers for a load that turns out big (core/optimizing-window.ts). Unlike a
 * pull's, a load's size is not known up front (docker's CLI sends the archive chunked), so the
 * window opens once the entries read so far reach OPEN_AT_BYTES. Measured on a fresh daemon, 200
 * MB loads: berthd's user CPU 0.34-0.54 s with the compilers, 0.54-0.80 s without.
 */
class CompilersForBigLoads {
  private bytes = 0;
  private closeWindow: (() => void) | undefined;

  seen(size: number): void {
    this.bytes += size;
    if (this.closeWindow === undefined && this.bytes >= OPEN_AT_BYTES) this.closeWindow = optimizingWindow(this.bytes);
  }

  close(): void {
    this.closeWindow?.();
  }
}

/**
 * Rollback is best effort and must not hide why the load failed: the record may not exist
 * (addImage failed before writing it) or a container may have started on the image meanwhile.
 */
function keepOriginalError(err: unknown): void {
  if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
}

async function tagAll(deps: ArchiveDeps, plans: PlannedImage[], opts: LoadOptions): Promise<string[]> {
  const loaded: string[] = [];
  for (const plan of plans) {
    if (plan.tags.length === 0) {
      opts.onProgress({ stream: `Loaded image ID: ${plan.id}\n` });
      loaded.push(plan.id);
      continue;
    }
    for (const ref of plan.tags) {
      const name = familiarString(parseReference(ref));
      const previous = await deps.images.catalog.tryResolve(ref);
      if (previous && previous.id !== plan.id) {
        opts.onProgress({ stream: `The image ${name} already exists, renaming the old one with ID ${previous.id} to empty string\n` });
      }
      await deps.images.tag(plan.id, ref, undefined);
      opts.onProgress({ stream: `Loaded image: ${name}\n` });
      loaded.push(name);
    }
  }
  return loaded;
}
