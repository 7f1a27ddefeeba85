/** /etc/subuid and /etc/subgid: the ID ranges a user may map into its user namespaces (issue 23). */

/** The sub-ID block a user namespace needs so that images' usual IDs (0..65535) all map. */
export const SUBID_COUNT = 65536;

export interface SubIdRange {
  start: number;
  count: number;
}

/** Every range in the file, whoever owns it (to find room for a new one). */
export function parseSubIds(text: string): Array<SubIdRange & { owner: string }> {
  const out: Array<SubIdRange & { owner: string }> = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || owner === '' || start === undefined || count === undefined) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c)) out.push({ owner, start: s, count: c });
  }
  return out;
}

/**
 * The first range of /etc/subuid (or subgid) that belongs to the user (by name or by number) and
 * holds at least SUBID_COUNT IDs; undefined when there is none.
 */
export function findSubIdRange(text: string, user: string, id: number): SubIdRange | undefined {
  const r = parseSubIds(text).find((x) => (x.owner === user || x.owner === String(id)) && x.count >= SUBID_COUNT);
  return r ? { start: r.start, count: r.count } : undefined;
}

/** Where a new range of SUBID_COUNT goes: after every range of both files, and never below 100000 (useradd's first). */
export function nextFreeSubIdStart(...files: string[]): number {
  let end = 100000;
  for (const text of files) for (const r of parseSubIds(text)) end = Math.max(end, r.start + r.count);
  return Math.ceil(end / SUBID_COUNT) * SUBID_COUNT;
}
