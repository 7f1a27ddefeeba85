import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chainIds, digestHex, type Digest } from '../../core/digest.js';
import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { compareStrings } from '../../core/compare.js';
import type { ImageService } from '../images/image-service.js';
import type { BuildCache } from './build-cache.js';
import type { PruneUsageOptions, UsageRecord } from './solve-spec.js';

export interface UsageDeps {
  images: ImageService;
  cache: BuildCache;
  /** `<data-root>/build`. */
  dir: string;
  prune(): Promise<unknown>;
  /** Given to image delete events (a prune nobody asked for: the disk budget's). */
  reason?: string;
}

/** BuildKit record IDs are 25 characters; a step's is its image's, a cache mount's its directory's. */
const recordId = (hex: string): string => hex.slice(0, 25);

/** A usage record and how to remove what it stands for (false: it is in use after all). */
interface CacheEntry {
  record: UsageRecord;
  remove(): Promise<boolean>;
}

/**
 * The build cache as BuildKit usage records: each cached step's image (`regular`, sized by the
 * layer it added, unpacked and as a blob; its parent the step before) and each RUN cache mount
 * (`exec.cachemount`, mutable). A step whose layer an image outside the cache also has (a tagged
 * build result, or any image not made by a cached step) is `shared`: removing it frees nothing.
 */
async function cacheEntries(d: UsageDeps): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  const cached = new Set<Digest>((await d.cache.all()).flatMap(([, ids]) => ids));
  const outside = new Set<Digest>();
  const users = new Map<string, number>();
  for (const s of await d.images.list({ all: true })) {
    users.set(s.Id, s.Containers);
    const img = cached.has(s.Id as Digest) && s.RepoTags.length === 0 ? undefined : await d.images.catalog.tryResolve(s.Id);
    for (const c of img ? chainIds(img.record.layers.map((l) => l.diffId)) : []) outside.add(c);
  }
  for (const id of cached) {
    const img = await d.images.catalog.tryResolve(id);
    if (!img) continue;
    const parent = img.record.parent ? await d.images.catalog.tryResolve(img.record.parent) : undefined;
    const addsLayer = img.record.layers.length > (parent?.record.layers.length ?? 0);
    const top = chainIds(img.record.layers.map((l) => l.diffId)).at(-1);
    const own = addsLayer ? (img.record.layers.at(-1)?.size ?? 0) + (await d.images.imageSize(img.record)) - (parent ? await d.images.imageSize(parent.record) : 0) : 0;
    const created = new Date(img.config.created ?? img.record.added);
    const history = img.config.history ?? [];
    out.push({
      record: {
        id: recordId(digestHex(id)),
        mutable: false,
        inUse: (users.get(id) ?? 0) > 0,
        size: own,
        parents: img.record.parent ? [recordId(digestHex(img.record.parent))] : [],
        createdAt: created,
        lastUsedAt: null,
        usageCount: 1,
        description: history.at(-1)?.created_by ?? `image ${digestHex(id).slice(0, 12)}`,
        recordType: 'regular',
        shared: d.images.catalog.namesOf(id).repoTags.length > 0 || (addsLayer && top !== undefined && outside.has(top)),
      },
      remove: async () => {
        try {
          await d.images.remove(id, { noPrune: true, ...(d.reason ? { reason: d.reason } : {}) });
        } catch (err) {
          if (err instanceof ConflictError) return false;
          if (!(err instanceof NotFoundError)) throw err;
        }
        return true;
      },
    });
  }
  const mounts = join(d.dir, 'cache-mounts');
  for (const name of await readdir(mounts).catch(() => [] as string[])) {
    const st = await lstat(join(mounts, name)).catch(() => null);
    if (!st?.isDirectory()) continue;
    const id = await readFile(join(d.dir, 'cache-mount-ids', name), 'utf8').catch(() => name.slice(0, 12));
    out.push({
      record: {
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
      },
      remove: async () => {
        await rm(join(mounts, name), { recursive: true, force: true });
        return true;
      },
    });
  }
  return out;
}

export async function cacheUsage(d: UsageDeps): Promise<UsageRecord[]> {
  return (await cacheEntries(d)).map((e) => e.record);
}

/** What a prune keeps: `keepBytes` of cache at most, and anything used after `usedAfter` (ms). */
export interface PruneSelection {
  keepBytes: number;
  usedAfter?: number;
}

/**
 * The records a prune removes now, oldest use first: never one in use or shared (it frees nothing)
 * or one another record builds on (not yet); none used after `usedAfter`; with `keepBytes`, only
 * until what is left fits in it.
 */
export function selectPrune(records: readonly UsageRecord[], sel: PruneSelection): UsageRecord[] {
  const lastUse = (r: UsageRecord): number => (r.lastUsedAt ?? r.createdAt).getTime();
  let total = records.filter((r) => !r.shared).reduce((s, r) => s + r.size, 0);
  const out: UsageRecord[] = [];
  // A step another builds on goes after it: the caller selects again once the children are gone.
  const parents = new Set(records.flatMap((r) => r.parents));
  const candidates = records.filter((r) => !r.inUse && !r.shared && !parents.has(r.id) && (sel.usedAfter === undefined || lastUse(r) < sel.usedAfter));
  for (const r of [...candidates].sort((a, b) => lastUse(a) - lastUse(b) || compareStrings(a.id, b.id))) {
    if (sel.keepBytes > 0 && total <= sel.keepBytes) break;
    out.push(r);
    total -= r.size;
  }
  return out;
}

/** BuildKit's prune filters Berth applies: `until=DURATION` (as buildx and the docker CLI send it). */
export function pruneFilterCutoff(filters: readonly string[], now = Date.now()): number | undefined {
  let cutoff: number | undefined;
  for (const f of filters) {
    const m = /^until[=:]"?([^"]*)"?$/.exec(f);
    if (!m) throw new NotImplementedError(`build cache prune --filter ${f} is not supported by this Berth version yet: until=DURATION is`);
    cutoff = untilCutoff(m[1] as string, now);
  }
  return cutoff;
}

/** `until`: a Go duration before now (`1h`, `30m`, `1h30m`), a timestamp (RFC 3339) or unix seconds. */
export function untilCutoff(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === value) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    return now - parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid filter 'until=${value}': use a duration like 24h or a timestamp`);
  return t;
}

/**
 * A prune: the oldest records go (a step image as an image, its children first) until the rest
 * fits in `keepBytes`, or those unused since the time bound; without either, every record that
 * frees space goes and the cache index is forgotten, so the next build runs its steps again.
 */
export async function pruneCacheUsage(d: UsageDeps, opts: PruneUsageOptions): Promise<UsageRecord[]> {
  let usedAfter = pruneFilterCutoff(opts.filters ?? []);
  // keepDuration is BuildKit's: nanoseconds.
  if ((opts.keepDuration ?? 0) > 0) usedAfter = Math.min(usedAfter ?? Infinity, Date.now() - (opts.keepDuration ?? 0) / 1e6);
  const keepBytes = opts.keepBytes ?? 0;
  const everything = keepBytes <= 0 && usedAfter === undefined;
  const before = everything ? await cacheUsage(d) : [];
  const removed: UsageRecord[] = [];
  // A step with children cannot go before them: select again after each pass that removed any.
  for (let progress = true; progress; ) {
    progress = false;
    const entries = await cacheEntries(d);
    const chosen = new Set(selectPrune(entries.map((e) => e.record), { keepBytes, ...(usedAfter !== undefined ? { usedAfter } : {}) }).map((r) => r.id));
    for (const e of entries) {
      if (!chosen.has(e.record.id) || !(await e.remove())) continue;
      removed.push(e.record);
      progress = true;
    }
  }
  if (!everything) return removed;
  await d.prune();
  return before;
}

export async function dirSize(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await dirSize(join(path, name));
  return total;
}
