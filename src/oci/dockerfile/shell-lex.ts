/**
 * Word expansion of Dockerfile arguments, as BuildKit's `shell.Lex`: quotes removed, the escape
 * token applied, and `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
 * `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}` expanded (nothing inside single quotes).
 */

export type EnvLookup = (name: string) => string | undefined;

export class ShellLexError extends Error {}

/** A lookup over `KEY=value` entries; the last one wins. */
export function envFromList(env: readonly string[]): EnvLookup {
  const vars = new Map<string, string>();
  for (const e of env) {
    const eq = e.indexOf('=');
    vars.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return (name) => vars.get(name);
}

class Lexer {
  private pos = 0;
  private readonly chars: string[];
  /** Variables the word used, for docker's "unused build arg" accounting. */
  readonly matched = new Set<string>();

  constructor(
    word: string,
    private readonly env: EnvLookup,
    private readonly escape: string,
  ) {
    this.chars = Array.from(word);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** The whole word, or words split on unquoted whitespace when `split`. */
  run(split: boolean, stopOn?: string): string[] {
    const words: string[] = [];
    let word = '';
    let inWord = false;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) break;
      if (stopOn !== undefined && ch === stopOn) break;
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) words.push(word);
        word = '';
        inWord = false;
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        const escaped = this.next();
        if (escaped === undefined) break; // an escape at the end is dropped
        word += escaped;
      } else if (ch === "'") {
        word += this.singleQuoted();
      } else if (ch === '"') {
        word += this.doubleQuoted();
      } else if (ch === '$') {
        const value = this.dollar();
        if (!split) word += value;
        else {
          // An unquoted expansion is split on its whitespace, as the shell does.
          for (const c of value) {
            if (!/\s/.test(c)) word += c;
            else if (word !== '') {
              words.push(word);
              word = '';
            }
          }
          inWord = word !== '';
        }
      } else {
        this.pos++;
        word += ch;
      }
    }
    if (inWord || !split) words.push(word);
    return words;
  }

  private singleQuoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        const n = this.peek();
        if (n === undefined) continue;
        if (n === '"' || n === '$' || n === this.escape) {
          this.pos++;
          out += n;
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    let name = '';
    const first = this.peek();
    if (first !== undefined && /[0-9*#@$?!-]/.test(first)) {
      this.pos++;
      return first;
    }
    for (let ch = this.peek(); ch !== undefined && /[A-Za-z0-9_]/.test(ch); ch = this.peek()) {
      name += ch;
      this.pos++;
    }
    return name;
  }

  private lookup(name: string): string | undefined {
    const v = this.env(name);
    this.matched.add(name);
    return v;
  }

  private dollar(): string {
    this.pos++; // '$'
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.lookup(name) ?? '';
    }
    this.pos++; // '{'
    const name = this.name();
    if (name === '') throw new ShellLexError('bad substitution');
    let ch = this.peek();
    if (ch === '}') {
      this.pos++;
      return this.lookup(name) ?? '';
    }
    let colon = false;
    if (ch === ':') {
      colon = true;
      this.pos++;
      ch = this.peek();
    }
    if (ch === undefined || !'-+?'.includes(ch)) throw new ShellLexError(`unsupported modifier (${colon ? ':' : ''}${ch ?? ''}) in substitution`);
    this.pos++;
    const word = this.run(false, '}')[0] ?? '';
    if (this.next() !== '}') throw new ShellLexError("syntax error: missing '}'");
    const value = this.lookup(name);
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    if (ch === '-') return set ? (value as string) : word;
    if (ch === '+') return set ? word : '';
    if (!set) throw new ShellLexError(`${name}: ${word === '' ? 'is not allowed to be unset' : word}`);
    return value as string;
  }
}

/** Expands one word (quotes removed). */
export function processWord(word: string, env: EnvLookup, escape = '\\'): string {
  return new Lexer(word, env, escape).run(false)[0] ?? '';
}

/** Expands a word and reports which variables it referred to. */
export function processWordWithMatches(word: string, env: EnvLookup, escape = '\\'): { result: string; matched: Set<string> } {
  const lexer = new Lexer(word, env, escape);
  return { result: lexer.run(false)[0] ?? '', matched: lexer.matched };
}

/** Expands and splits on unquoted whitespace (`ARG`-free shell-like splitting). */
export function processWords(text: string, env: EnvLookup, escape = '\\'): string[] {
  return new Lexer(text, env, escape).run(true);
}
