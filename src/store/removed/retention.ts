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

const oldestFirst = (a: KeptEntry, b: KeptEntry): number => a.removedAt - b.removedAt || a.id.localeCompare(b.id);

/** The IDs to drop now, oldest first: expired by age, then over the byte cap. */
export function overRetention(entries: readonly KeptEntry[], policy: RetentionPolicy, now: number): string[] {
  const sorted = [...entries].sort(oldestFirst);
  const out: string[] = [];
  let total = sorted.reduce((n, e) => n + e.bytes, 0);
  for (const e of sorted) {
    if (now - e.removedAt < policy.keepMs && total <= policy.maxBytes) break;
    out.push(e.id);
    total -= e.bytes;
  }
  return out;
}

/** The oldest entries that together free at least `bytes` (all of them if they cannot). */
export function oldestToFree(entries: readonly KeptEntry[], bytes: number): string[] {
  const out: string[] = [];
  let freed = 0;
  for (const e of [...entries].sort(oldestFirst)) {
    if (freed >= bytes) break;
    out.push(e.id);
    freed += e.bytes;
  }
  return out;
}

/** When the oldest record expires (unix ms), or undefined when none is kept. */
export function nextExpiry(entries: readonly KeptEntry[], policy: RetentionPolicy): number | undefined {
  let oldest: number | undefined;
  for (const e of entries) if (oldest === undefined || e.removedAt < oldest) oldest = e.removedAt;
  return oldest === undefined ? undefined : oldest + policy.keepMs;
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
