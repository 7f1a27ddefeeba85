import { InvalidParameterError } from '../../core/errors.js';
import { familiarName, parseReference } from '../../oci/reference.js';

/** `filters` of a list call, already decoded from docker's JSON form: key → values. */
export type Filters = Record<string, string[]>;

const IMAGE_FILTERS = new Set(['reference', 'dangling', 'label', 'before', 'since', 'until']);

export function checkFilterKeys(filters: Filters, allowed: ReadonlySet<string> = IMAGE_FILTERS): void {
  for (const key of Object.keys(filters)) {
    if (!allowed.has(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  }
}

/** Go's path.Match, as docker's reference filter uses it: `*` never crosses a `/`. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new InvalidParameterError(`invalid filter pattern "${pattern}": syntax error in pattern`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/\\/g, '\\\\');
      re += `[${cls.replace(/\]/g, '\\]')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** docker's FamiliarMatch: the pattern may match `name:tag` or just `name`. */
export function referenceMatches(pattern: string, familiarRefs: string[]): boolean {
  const re = globToRegExp(pattern);
  return familiarRefs.some((ref) => {
    if (re.test(ref)) return true;
    try {
      return re.test(familiarName(parseReference(ref).repository));
    } catch {
      return false;
    }
  });
}

/** `label=key` or `label=key=value`, all of which must hold. */
export function labelsMatch(wanted: string[] | undefined, labels: Record<string, string> | null | undefined): boolean {
  if (!wanted) return true;
  const have = labels ?? {};
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in have;
    return have[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

export function parseBool(key: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidParameterError(`invalid filter '${key}=${value}': value must be true or false`);
}
