import { globToRegExp } from '../../core/filters.js';
import { familiarName, parseReference } from '../../oci/reference.js';

export const IMAGE_FILTERS: ReadonlySet<string> = new Set(['reference', 'dangling', 'label', 'before', 'since', 'until']);

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
