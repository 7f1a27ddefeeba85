/**
 * Go's path.Match (filepath.Match on Linux) as a RegExp, the glob docker uses for COPY/ADD
 * sources and for the reference filter of `images`: `*` and `?` never cross a `/`, `[...]` is a
 * class (`^` negates; `!` too, as shells and BuildKit's copier accept), `\` escapes.
 */
export class PatternSyntaxError extends Error {}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const escapeInClass = (s: string): string => s.replace(/[\]\\^[]/g, '\\$&');

export function pathMatchRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^' || pattern[j] === '!') {
        cls = '^';
        j++;
      }
      let members = 0;
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        const c = pattern[j] as string;
        if (c === '\\' && j + 1 < pattern.length) cls += escapeInClass(pattern[++j] as string);
        else cls += c === '-' && members > 0 ? '-' : escapeInClass(c);
        members++;
      }
      // Go: a class must be closed and must not be empty.
      if (j >= pattern.length || members === 0) throw new PatternSyntaxError('syntax error in pattern');
      re += `[${cls}]`;
      i = j;
    } else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`);
}
