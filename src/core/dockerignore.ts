import { posix } from 'node:path';

/**
 * `.dockerignore` with moby/patternmatcher's rules: one pattern a line, `#` comments, leading and
 * trailing space trimmed, paths cleaned (`./a//b/` is `a/b`, a leading `/` dropped), `*` and `?`
 * never cross a `/`, `**` matches any number of directories, `!` re-includes, the last matching
 * pattern wins, and a pattern that matches a directory also matches everything under it. Used by
 * the CLI (which filters the context it sends) and the daemon (tarball contexts).
 */

interface Pattern {
  exclusion: boolean;
  cleaned: string;
  re: RegExp;
}

/** The pattern lines of a .dockerignore file. */
export function readIgnoreFile(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    out.push(trimmed);
  }
  return out;
}

function clean(path: string): string {
  const n = posix.normalize(path);
  const noTrailing = n.length > 1 ? n.replace(/\/+$/, '') : n;
  return noTrailing === '' ? '.' : noTrailing;
}

const SPECIAL = '.+()|{}$^';

function compile(pattern: string): RegExp {
  let re = '^';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*\\/)?';
      } else re += '[^\\/]*';
    } else if (ch === '?') re += '[^\\/]';
    else if (SPECIAL.includes(ch)) re += `\\${ch}`;
    else if (ch === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        re += `\\${next}`;
        i++;
      } else re += '\\\\';
    } else re += ch;
  }
  return new RegExp(re + '$', 's');
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (let line of lines) {
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      if (line === '') continue;
      let cleaned = clean(line);
      if (cleaned.length > 1 && cleaned.startsWith('/')) cleaned = cleaned.slice(1);
      this.patterns.push({ exclusion, cleaned, re: compile(cleaned) });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when any pattern re-includes something, so an excluded directory must still be walked. */
  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative to the context, `/`-separated) is left out of the context. */
  excludes(path: string): boolean {
    const file = clean(path.replace(/^\/+/, ''));
    const parents = posix.dirname(file) === '.' ? [] : posix.dirname(file).split('/');
    let matched = false;
    for (const p of this.patterns) {
      let match = p.re.test(file);
      for (let i = 0; !match && i < parents.length; i++) match = p.re.test(parents.slice(0, i + 1).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  }
}
