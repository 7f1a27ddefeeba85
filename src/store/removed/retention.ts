/**
 * Which kept records of removed containers go, as pure functions over their index entries:
 * first those older than the retention time, then the oldest until the rest fit the byte cap.
 */

/** One kept record as the store indexes it. */
export interface KeptEntry {
  id: string;
  /** With docker's leading slash. */
  name: string;
  /** Unix milliseconds. */
  removedAt: number;
  /** Disk used by the record and its log tail (allocated blocks, as du counts). */
  bytes: number;
}

export interface RetentionPolicy {
  /** How long a record is kept, in ms; 0 keeps none. */
  keepMs: number;
  /** The most bytes all records may use together; 0 keeps none. */
  maxBytes: number;
}

/**
 * Removal order: by time, then by ID (plain comparison: IDs are hex, and localeCompare costs an
 * ICU collation per call). The store keeps its entries in this order, so nothing below sorts:
 * a removal, which runs `overRetention`, costs the same with 20 records kept as with 20,000 (the
 * default cap, 256 MiB, holds about that many).
 */
export const oldestFirst = (a: KeptEntry, b: KeptEntry): number => a.removedAt - b.removedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The IDs to drop now, oldest first: expired by age, then over the byte cap. `entries` come
 * oldest first and `totalBytes` is theirs together; only the entries dropped and the first one
 * kept are looked at.
 */
export function overRetention(entries: Iterable<KeptEntry>, totalBytes: number, policy: RetentionPolicy, now: number): string[] {
  const out: string[] = [];
  let total = totalBytes;
  for (const e of entries) {
    if (now - e.removedAt < policy.keepMs && total <= policy.maxBytes) break;
    out.push(e.id);
    total -= e.bytes;
  }
  return out;
}

/** The oldest entries that together free at least `bytes` (all of them if they cannot); `entries` come oldest first. */
export function oldestToFree(entries: Iterable<KeptEntry>, bytes: number): string[] {
  const out: string[] = [];
  let freed = 0;
  for (const e of entries) {
    if (freed >= bytes) break;
    out.push(e.id);
    freed += e.bytes;
  }
  return out;
}

/** When the oldest record expires (unix ms), or undefined when none is kept. */
export function nextExpiry(oldest: KeptEntry | undefined, policy: RetentionPolicy): number | undefined {
  return oldest === undefined ? undefined : oldest.removedAt + policy.keepMs;
}

/**
 * A removed container by full ID, by name (the newest of that name: names are reused), or by a
 * unique ID prefix. Several IDs with the prefix is `ambiguous`; nothing is `undefined`.
 */
export function resolveKept(entries: readonly KeptEntry[], ref: string): KeptEntry | 'ambiguous' | undefined {
  const exact = entries.find((e) => e.id === ref);
  if (exact) return exact;
  const name = ref.startsWith('/') ? ref : `/${ref}`;
  const named = entries.filter((e) => e.name === name).sort(oldestFirst).at(-1);
  if (named) return named;
  if (!/^[a-f0-9]+$/.test(ref)) return undefined;
  const matches = entries.filter((e) => e.id.startsWith(ref));
  if (matches.length > 1) return 'ambiguous';
  return matches[0];
}
