import type { Digest } from '../../core/digest.js';
import { compareStrings } from '../../core/compare.js';

/** What the disk budget knows of one image when it plans what may go. */
export interface ImageFacts {
  id: Digest;
  tags: number;
  /** A result of a cached build step (the build cache index names it). */
  cached: boolean;
  /** Containers, running or stopped, created from it. */
  users: number;
  /** Labelled `berth.pin=true`. */
  pinned: boolean;
  /** Another image names it as its parent: it goes only after them (docker refuses otherwise). */
  hasChildren: boolean;
  /** Arrival in the store, ms since the epoch. */
  added: number;
  /** Last container create/start, pull, load, build or tag, ms since the epoch. */
  lastUsed: number | undefined;
  /** Held by an operation in flight (an image-level lease). */
  leased: boolean;
}

export interface ImagePlan {
  buildCache: Digest[];
  dangling: Digest[];
  /** Tagged images no container uses, least recently used first. */
  leastRecentlyUsed: Digest[];
}

export const PIN_LABEL = 'berth.pin';

export function isPinned(labels: Readonly<Record<string, string>> | null | undefined): boolean {
  return /^(true|1|yes)$/i.test(labels?.[PIN_LABEL] ?? '');
}

export function lastTouch(f: Pick<ImageFacts, 'added' | 'lastUsed'>): number {
  return Math.max(f.added, f.lastUsed ?? 0);
}

/**
 * Why an image may not be taken, or undefined when it may: used by a container, pinned, held by
 * an operation in flight, fresh (inside the grace period a `pull` then `create` needs), or the
 * parent of another image (it becomes a candidate once its children are gone).
 */
export function protection(f: ImageFacts, now: number, graceMs: number): string | undefined {
  if (f.users > 0) return 'used by a container';
  if (f.pinned) return `labelled ${PIN_LABEL}=true`;
  if (f.leased) return 'held by an operation in flight';
  if (now - lastTouch(f) < graceMs) return 'used within the grace period';
  if (f.hasChildren) return 'parent of another image';
  return undefined;
}

/**
 * The images the budget may remove, by kind and in the order it removes them: oldest first within
 * each kind. While a build runs, untagged images may be its steps in progress, so only tagged ones
 * are candidates then.
 */
export function planImages(facts: readonly ImageFacts[], now: number, graceMs: number, buildsInFlight: boolean): ImagePlan {
  const free = facts.filter((f) => protection(f, now, graceMs) === undefined);
  const oldestFirst = (a: ImageFacts, b: ImageFacts): number => lastTouch(a) - lastTouch(b) || compareStrings(a.id, b.id);
  const ids = (list: ImageFacts[]): Digest[] => list.sort(oldestFirst).map((f) => f.id);
  const untagged = buildsInFlight ? [] : free.filter((f) => f.tags === 0);
  return {
    buildCache: ids(untagged.filter((f) => f.cached)),
    dangling: ids(untagged.filter((f) => !f.cached)),
    leastRecentlyUsed: ids(free.filter((f) => f.tags > 0)),
  };
}
