import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, type Digest } from '../../core/digest.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ImageService } from '../images/image-service.js';
import type { BuildCache } from './build-cache.js';
import type { PruneUsageOptions, UsageRecord } from './solve-spec.js';

export interface UsageDeps {
  images: ImageService;
  cache: BuildCache;
  /** `<data-root>/build`. */
  dir: string;
  prune(): Promise<unknown>;
}

/** BuildKit record IDs are 25 characters; a step's is its image's, a cache mount's its directory's. */
const recordId = (hex: string): string => hex.slice(0, 25);

/**
 * The build cache as BuildKit usage records: each cached step's image (`regular`, sized by the
 * layer it added, its parent the step before) and each RUN cache mount (`exec.cachemount`,
 * mutable). A step image that is also tagged is `shared`: pruning the cache leaves its data.
 */
export async function cacheUsage(d: UsageDeps): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  const seen = new Set<Digest>();
  for (const [, ids] of await d.cache.all()) {
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const img = await d.images.catalog.tryResolve(id);
      if (!img) continue;
      const parent = img.record.parent ? await d.images.catalog.tryResolve(img.record.parent) : undefined;
      const own = img.record.layers.length > (parent?.record.layers.length ?? 0) ? (img.record.layers.at(-1)?.size ?? 0) : 0;
      const created = new Date(img.config.created ?? img.record.added);
      const history = img.config.history ?? [];
      out.push({
        id: recordId(digestHex(id)),
        mutable: false,
        inUse: false,
        size: own,
        parents: img.record.parent ? [recordId(digestHex(img.record.parent))] : [],
        createdAt: created,
        lastUsedAt: null,
        usageCount: 1,
        description: history.at(-1)?.created_by ?? `image ${digestHex(id).slice(0, 12)}`,
        recordType: 'regular',
        shared: d.images.catalog.namesOf(id).repoTags.length > 0,
      });
    }
  }
  const mounts = join(d.dir, 'cache-mounts');
  for (const name of await readdir(mounts).catch(() => [] as string[])) {
    const st = await lstat(join(mounts, name)).catch(() => null);
    if (!st?.isDirectory()) continue;
    const id = await readFile(join(d.dir, 'cache-mount-ids', name), 'utf8').catch(() => name.slice(0, 12));
    out.push({
      id: recordId(name),
      mutable: true,
      inUse: false,
      size: await dirSize(join(mounts, name)),
      parents: [],
      createdAt: st.birthtime.getTime() > 0 ? st.birthtime : st.ctime,
      lastUsedAt: st.mtime,
      usageCount: 1,
      description: `cached mount ${id}`,
      recordType: 'exec.cachemount',
      shared: false,
    });
  }
  return out;
}

/**
 * Prune as buildx asks: everything goes (the step images stay images; `image prune` removes
 * the unused ones). Keeping some (by age, size or filter) is not supported yet and says so.
 */
export async function pruneCacheUsage(d: UsageDeps, opts: PruneUsageOptions): Promise<UsageRecord[]> {
  if ((opts.keepDuration ?? 0) > 0) throw new NotImplementedError('build cache prune --keep-duration (until=) is not supported by this Berth version yet');
  if ((opts.keepBytes ?? 0) > 0) throw new NotImplementedError('build cache prune --keep-storage is not supported by this Berth version yet');
  if ((opts.filters ?? []).some((f) => f !== '')) throw new NotImplementedError('build cache prune --filter is not supported by this Berth version yet');
  const records = await cacheUsage(d);
  await d.prune();
  return records;
}

export async function dirSize(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await dirSize(join(path, name));
  return total;
}
