import { InvalidParameterError } from '../../core/errors.js';
import { pathMatchRegExp, PatternSyntaxError } from '../../core/path-match.js';
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
  try {
    return pathMatchRegExp(pattern);
  } catch (err) {
    if (err instanceof PatternSyntaxError) throw new InvalidParameterError(`invalid filter pattern "${pattern}": syntax error in pattern`);
    throw err;
  }
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
