import { InvalidParameterError } from './errors.js';
import { pathMatchRegExp, PatternSyntaxError } from './path-match.js';

/**
 * docker's filters of list and prune calls (`filters={"label":["a=b"]}`), decoded: key → values.
 * The checks every kind of object shares; what a key means is each list's own.
 */
export type Filters = Record<string, string[]>;

/** docker answers an unknown key with 400 rather than ignoring it. */
export function checkFilterKeys(filters: Filters, allowed: ReadonlySet<string>): void {
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
