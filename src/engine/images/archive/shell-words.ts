import { InvalidParameterError } from '../../../core/errors.js';

/** Looks up a variable for `$NAME` expansion; undefined when it is not set. */
export type EnvLookup = (name: string) => string | undefined;

/** An EnvLookup over a config's `Env` list (`KEY=value`; the last setting wins). */
export function envLookup(env: readonly string[] | undefined): EnvLookup {
  const vars = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
    else if (eq < 0) vars.set(e, '');
  }
  return (name) => vars.get(name);
}

/**
 * Splits on whitespace outside quotes, keeping quotes and escapes in the words for
 * processWord, as the Dockerfile parser does before a word is expanded.
 */
export function splitWords(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (ch === '\\' && quote !== "'" && i + 1 < input.length) {
      word += ch + (input[++i] as string);
    } else if (quote !== undefined) {
      word += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      word += ch;
      quote = ch;
    } else if (/\s/.test(ch)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') words.push(word);
  return words;
}

/**
 * One word as the Dockerfile shell lexer yields it: quotes removed, backslash escapes applied
 * and `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`
 * expanded (not inside single quotes).
 */
export function processWord(word: string, env: EnvLookup): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const ch = word[i] as string;
    if (ch === '\\') {
      out += i + 1 < word.length ? (word[i + 1] as string) : '\\';
      i += 2;
    } else if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new InvalidParameterError(`unexpected end of statement while looking for matching single-quote in "${word}"`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      while (i < word.length && word[i] !== '"') {
        const c = word[i] as string;
        if (c === '\\' && i + 1 < word.length && '"$\\`'.includes(word[i + 1] as string)) {
          out += word[i + 1] as string;
          i += 2;
        } else if (c === '$') {
          const [value, next] = expand(word, i, env);
          out += value;
          i = next;
        } else {
          out += c;
          i++;
        }
      }
      if (i >= word.length) throw new InvalidParameterError(`unexpected end of statement while looking for matching double-quote in "${word}"`);
      i++;
    } else if (ch === '$') {
      const [value, next] = expand(word, i, env);
      out += value;
      i = next;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Expands the variable at word[start] === '$'; returns its value and the index after it. */
function expand(word: string, start: number, env: EnvLookup): [string, number] {
  const rest = word.slice(start + 1);
  const simple = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (simple) return [env(simple[0]) ?? '', start + 1 + simple[0].length];
  if (!rest.startsWith('{')) return ['$', start + 1];
  const close = rest.indexOf('}');
  const braced = close < 0 ? undefined : /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(rest.slice(1, close));
  if (!braced) throw new InvalidParameterError(`bad substitution in "${word}": expected \${NAME}, \${NAME:-default} or \${NAME:+alternative}`);
  const [, name = '', op, alt = ''] = braced;
  const value = env(name);
  const next = start + 2 + close;
  const set = op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
  if (op === undefined) return [value ?? '', next];
  if (op.endsWith('-')) return [set ? (value as string) : processWord(alt, env), next];
  return [set ? processWord(alt, env) : '', next];
}

/** A JSON array of strings (a Dockerfile's exec form), or undefined when `text` is not one. */
export function parseJsonArray(text: string): string[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string') ? parsed : undefined;
  } catch {
    return undefined; // docker falls back to the shell form
  }
}
