import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ImageLastUse } from '../../store/metadata/image-last-use.js';
import type { PublishEvent } from '../events/event-types.js';
import type { ImageService } from '../images/image-service.js';
import { directorySize } from '../../drivers/host/directory-size.js';
import { isPinned, planImages, type ImageFacts, type ImagePlan } from './reclaim-plan.js';

/**
 * One kind of thing the disk budget can free, in the budget's order. `reclaim` frees until
 * `stillWanted()` says enough (or it has nothing left) and returns the bytes it thinks it freed;
 * the budget measures the disk itself. A reclaimer that cannot measure as it goes may free
 * `bytesWanted` by its own count and ignore `stillWanted`.
 */
export interface Reclaimer {
  kind: string;
  reclaimable?(): Promise<number>;
  reclaim(bytesWanted: number, stillWanted: () => Promise<number>): Promise<number>;
}

export const BUDGET_REASON = 'storage-budget';

/** The build service as the budget needs it (loaded on first use). */
export interface BuildCacheView {
  inFlight: number;
  cachedImages(): Promise<Set<Digest>>;
}

export interface ImageReclaimDeps {
  images: ImageService;
  builds: () => Promise<BuildCacheView>;
  lastUse: ImageLastUse;
  graceMs: number;
  /** `<data-root>/build/cache-mounts`: RUN --mount=type=cache directories. */
  cacheMounts: string;
  /** `<data-root>/containers`: each container's directory holds its json-file log and the rotated ones. */
  containersDir: string;
  publish: PublishEvent;
  log: Logger;
}

async function imageFacts(d: ImageReclaimDeps): Promise<{ facts: ImageFacts[]; sizes: Map<Digest, number>; buildsInFlight: boolean }> {
  const builds = await d.builds();
  const cached = await builds.cachedImages();
  const summaries = await d.images.list({ all: true });
  const parents = new Set(summaries.map((s) => s.ParentId).filter((p) => p !== ''));
  const facts: ImageFacts[] = [];
  const sizes = new Map<Digest, number>();
  for (const s of summaries) {
    const id = s.Id as Digest;
    const img = await d.images.catalog.tryResolve(id);
    if (!img) continue;
    sizes.set(id, s.Size);
    facts.push({
      id,
      tags: s.RepoTags.length,
      cached: cached.has(id),
      users: s.Containers,
      pinned: isPinned(s.Labels),
      hasChildren: parents.has(id),
      added: Date.parse(img.record.added) || 0,
      lastUsed: Math.max(d.lastUse.get(id) ?? 0, Date.parse(img.record.lastTagTime ?? '') || 0) || undefined,
      // A pull or load in flight leases the config blob, whose digest is the image ID.
      leased: d.images.leases.has(id),
    });
  }
  return { facts, sizes, buildsInFlight: builds.inFlight > 0 };
}

async function currentPlan(d: ImageReclaimDeps): Promise<{ plan: ImagePlan; sizes: Map<Digest, number>; buildsInFlight: boolean }> {
  const { facts, sizes, buildsInFlight } = await imageFacts(d);
  return { plan: planImages(facts, Date.now(), d.graceMs, buildsInFlight), sizes, buildsInFlight };
}

/**
 * Removes one image for the budget: untagged by ID, tagged tag by tag (the last tag's removal
 * deletes it; it has no children, or the plan would not name it). Neither is forced, so an image a container took meanwhile stays (a conflict).
 */
async function removeImage(d: ImageReclaimDeps, id: Digest): Promise<boolean> {
  try {
    const refs = d.images.catalog.namesOf(id).repoTags;
    // noPrune: a parent left behind is planned again, with every protection checked (a pin, grace).
    if (refs.length === 0) await d.images.remove(id, { noPrune: true, reason: BUDGET_REASON });
    else for (const ref of refs) await d.images.remove(ref, { noPrune: true, reason: BUDGET_REASON });
    d.lastUse.forget(id);
    return true;
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) {
      d.log.debug({ image: id, err: (err as Error).message }, 'storage budget: image kept');
      return false;
    }
    throw err;
  }
}

function imageReclaimer(d: ImageReclaimDeps, kind: string, pick: (p: ImagePlan) => Digest[]): Reclaimer {
  return {
    kind,
    async reclaimable() {
      const { plan, sizes } = await currentPlan(d);
      return pick(plan).reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0);
    },
    async reclaim(_wanted, stillWanted) {
      let freed = 0;
      // A removal can make a parent removable (its last child gone): plan again until nothing moves.
      for (let progress = true; progress; ) {
        progress = false;
        const { plan, sizes } = await currentPlan(d);
        for (const id of pick(plan)) {
          if ((await stillWanted()) <= 0) return freed;
          if (await removeImage(d, id)) {
            freed += sizes.get(id) ?? 0;
            progress = true;
          }
        }
      }
      return freed;
    },
  };
}

async function cacheMountDirs(dir: string): Promise<Array<{ path: string; name: string; mtime: number }>> {
  const out = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st?.isDirectory()) out.push({ path: join(dir, name), name, mtime: st.mtimeMs });
  }
  return out.sort((a, b) => a.mtime - b.mtime);
}

/** Unused build cache: RUN cache mounts (none while a build runs), then cached step images. */
function buildCacheReclaimer(d: ImageReclaimDeps): Reclaimer {
  const steps = imageReclaimer(d, 'build cache', (p) => p.buildCache);
  return {
    kind: 'build cache',
    async reclaimable() {
      let mounts = 0;
      for (const m of await cacheMountDirs(d.cacheMounts)) mounts += await directorySize(m.path);
      return mounts + (await steps.reclaimable!());
    },
    async reclaim(wanted, stillWanted) {
      let freed = 0;
      if ((await d.builds()).inFlight === 0) {
        for (const m of await cacheMountDirs(d.cacheMounts)) {
          if ((await stillWanted()) <= 0) return freed;
          const size = await directorySize(m.path);
          await rm(m.path, { recursive: true, force: true });
          freed += size;
          d.publish({ type: 'builder', action: 'prune', id: m.name, attributes: { kind: 'exec.cachemount', reclaimed: String(size), reason: BUDGET_REASON } });
        }
      }
      return freed + (await steps.reclaim(wanted, stillWanted));
    },
  };
}

const ROTATED = /\.log\.(\d+)(\.gz)?$/;

async function rotatedLogs(containersDir: string): Promise<Array<{ container: string; path: string; size: number; mtime: number }>> {
  const out = [];
  for (const container of await readdir(containersDir).catch(() => [] as string[])) {
    for (const dir of [join(containersDir, container), join(containersDir, container, 'local-logs')]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!ROTATED.test(name)) continue;
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st?.isFile()) out.push({ container, path: join(dir, name), size: st.size, mtime: st.mtimeMs });
      }
    }
  }
  // Oldest first: a container's highest-numbered file goes before its newer ones, so its readers
  // (which stop at the first missing number) still see an unbroken, shorter history.
  return out.sort((a, b) => a.mtime - b.mtime);
}

/** Rotated json-file logs (`<log>.N`, `<log>.N.gz`), oldest first; never a live log file. */
function rotatedLogReclaimer(d: ImageReclaimDeps): Reclaimer {
  return {
    kind: 'rotated logs',
    async reclaimable() {
      return (await rotatedLogs(d.containersDir)).reduce((s, f) => s + f.size, 0);
    },
    async reclaim(_wanted, stillWanted) {
      let freed = 0;
      for (const f of await rotatedLogs(d.containersDir)) {
        if ((await stillWanted()) <= 0) break;
        await rm(f.path, { force: true });
        freed += f.size;
        d.publish({ type: 'container', action: 'prune-logs', id: f.container, attributes: { file: f.path, reclaimed: String(f.size), reason: BUDGET_REASON } });
      }
      return freed;
    },
  };
}

/** The records of removed containers as the budget sees them (engine/removed/removed-containers.ts). */
export interface RemovedRecordsView {
  usage(): Promise<number>;
  evictOldest(bytes: number, reason: string): Promise<number>;
}

/** The budget's last resort: records of removed containers, oldest removal first. */
export function removedRecordsReclaimer(removed: RemovedRecordsView): Reclaimer {
  return {
    kind: 'records of removed containers',
    reclaimable: () => removed.usage(),
    async reclaim(wanted) {
      // Each record dropped is its own `prune-removed` event (RemovedContainers publishes them).
      return await removed.evictOldest(wanted, BUDGET_REASON);
    },
  };
}

/** The budget's own reclaimers, in its order; the record of removed containers comes after them. */
export function defaultReclaimers(d: ImageReclaimDeps): Reclaimer[] {
  return [buildCacheReclaimer(d), imageReclaimer(d, 'dangling images', (p) => p.dangling), imageReclaimer(d, 'unused images', (p) => p.leastRecentlyUsed), rotatedLogReclaimer(d)];
}
