/**
 * Lexer for Go's text/template syntax, following the state machine of Go's
 * `text/template/parse/lex.go` so that token boundaries and lexical error
 * messages are the ones `docker --format` users see.
 */

export type TokenKind =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'complex' | 'assign' | 'declare' | 'eof'
  | 'field' | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString'
  | 'rightDelim' | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil'
  | 'range' | 'template' | 'with';

export interface Token {
  readonly kind: TokenKind;
  /** Offset (UTF-16 index) of the token in the template text. */
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  ['.', 'dot'], ['block', 'block'], ['break', 'break'], ['continue', 'continue'],
  ['define', 'define'], ['else', 'else'], ['end', 'end'], ['if', 'if'], ['range', 'range'],
  ['nil', 'nil'], ['template', 'template'], ['with', 'with'],
]);

const KEYWORD_KINDS: ReadonlySet<TokenKind> = new Set(KEYWORDS.values());

/** Keywords print as `<word>` in Go's "unexpected ..." parse errors. */
export function isKeyword(kind: TokenKind): boolean {
  return KEYWORD_KINDS.has(kind);
}

const LEFT = '{{';
const RIGHT = '}}';
// Made on first use by a non-ASCII character (table.ts says why).
let alnum: RegExp | undefined;
const PRINTABLE_ASCII = /^[\x20-\x7e]$/;

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  if (c.charCodeAt(0) < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
  return (alnum ??= /[\p{L}\p{Nd}_]/u).test(c);
};

/** Formats a rune like Go's `%#U`, which lexical errors use. */
export function formatRuneU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

class LexError extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** Tokenizes the whole template; an error token, if any, is followed by EOF. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  // Tokens come in order, so lines are counted incrementally from the previous one.
  let counted = { pos: 0, line: 1 };
  const lineAt = (pos: number): number => {
    if (pos < counted.pos) counted = { pos: 0, line: 1 };
    let line = counted.line;
    for (let i = input.indexOf('\n', counted.pos); i >= 0 && i < pos; i = input.indexOf('\n', i + 1)) line++;
    counted = { pos, line };
    return line;
  };
  const emit = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, pos: start, val: input.slice(start, end), line: lineAt(start) });
  };
  const charAt = (i: number): string | undefined => {
    const cp = input.codePointAt(i);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  };
  // Go requires an ASCII space next to the '-' so that "{{-3}}" stays a number.
  const hasRightTrim = (i: number): boolean => isSpace(input[i]) && input[i + 1] === '-';
  const atRightDelim = (i: number): [boolean, boolean] => {
    if (hasRightTrim(i) && input.startsWith(RIGHT, i + 2)) return [true, true];
    return [input.startsWith(RIGHT, i), false];
  };
  const skipSpaces = (i: number): number => {
    while (isSpace(input[i])) i++;
    return i;
  };
  const atTerminator = (i: number): boolean => {
    const c = input[i];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT, i);
  };
  const scanAlnum = (i: number): number => {
    for (let c = charAt(i); isAlnum(c); c = charAt(i)) i += (c as string).length;
    return i;
  };
  const requireTerminator = (start: number, i: number): void => {
    if (!atTerminator(i)) throw new LexError(start, `bad character ${formatRuneU(charAt(i) ?? '')}`);
  };
  const scanQuoted = (start: number, quote: string, what: string): number => {
    for (let i = start + 1; ; i++) {
      const c = input[i];
      if (c === '\\') {
        i++;
        if (input[i] !== undefined && input[i] !== '\n') continue;
      }
      if (c === quote) return i + 1;
      if (c === '\\' || c === undefined || c === '\n') throw new LexError(start, `unterminated ${what}`);
    }
  };
  const scanNumber = (start: number): [number, boolean] => {
    let i = start;
    const accept = (set: string): boolean => {
      if (input[i] !== undefined && set.includes(input[i] as string)) { i++; return true; }
      return false;
    };
    const acceptRun = (set: string): void => { while (accept(set)) { /* absorb */ } };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) { accept('+-'); acceptRun('0123456789_'); }
    if (digits.length === 23 && accept('pP')) { accept('+-'); acceptRun('0123456789_'); }
    accept('i');
    if (isAlnum(charAt(i))) return [i + (charAt(i) as string).length, false];
    return [i, true];
  };

  /** Lexes the inside of one action; returns the offset just past its right delimiter. */
  const lexAction = (from: number): number => {
    let pos = from;
    let parenDepth = 0;
    for (;;) {
      const [isDelim, trim] = atRightDelim(pos);
      if (isDelim) {
        if (parenDepth !== 0) throw new LexError(pos, 'unclosed left paren');
        const at = trim ? pos + 2 : pos;
        emit('rightDelim', at, at + 2);
        return trim ? skipSpaces(at + 2) : at + 2;
      }
      const start = pos;
      const c = charAt(pos);
      if (c === undefined) throw new LexError(start, 'unclosed action');
      pos += c.length;
      if (isSpace(c)) {
        pos = skipSpaces(start);
        // A space directly before "-}}" belongs to the trim marker, not to a space token.
        if (hasRightTrim(pos - 1) && input.startsWith(RIGHT, pos + 1)) {
          pos--;
          if (pos === start) continue;
        }
        emit('space', start, pos);
      } else if (c === '=') {
        emit('assign', start, pos);
      } else if (c === ':') {
        if (input[pos] !== '=') throw new LexError(start, 'expected :=');
        emit('declare', start, ++pos);
      } else if (c === '|') {
        emit('pipe', start, pos);
      } else if (c === '"' || c === '`' || c === "'") {
        if (c === '`') {
          const close = input.indexOf('`', pos);
          if (close < 0) throw new LexError(start, 'unterminated raw quoted string');
          pos = close + 1;
        } else {
          pos = scanQuoted(start, c, c === '"' ? 'quoted string' : 'character constant');
        }
        emit(c === '"' ? 'string' : c === '`' ? 'rawString' : 'charConstant', start, pos);
      } else if (c === '$' || (c === '.' && pos < input.length && !/[0-9]/.test(input[pos] as string))) {
        if (atTerminator(pos)) {
          emit(c === '$' ? 'variable' : 'dot', start, pos);
        } else {
          pos = scanAlnum(pos);
          requireTerminator(start, pos);
          emit(c === '$' ? 'variable' : 'field', start, pos);
        }
      } else if (c === '.' || c === '+' || c === '-' || /[0-9]/.test(c)) {
        let [end, ok] = scanNumber(start);
        let kind: TokenKind = 'number';
        if (ok && (input[end] === '+' || input[end] === '-')) {
          [end, ok] = scanNumber(end);
          ok = ok && input[end - 1] === 'i';
          kind = 'complex';
        }
        if (!ok) throw new LexError(start, `bad number syntax: "${input.slice(start, end)}"`);
        emit(kind, start, (pos = end));
      } else if (isAlnum(c)) {
        pos = scanAlnum(start);
        requireTerminator(start, pos);
        const word = input.slice(start, pos);
        emit(KEYWORDS.get(word) ?? (word === 'true' || word === 'false' ? 'bool' : 'identifier'), start, pos);
      } else if (c === '(') {
        parenDepth++;
        emit('leftParen', start, pos);
      } else if (c === ')') {
        if (--parenDepth < 0) throw new LexError(start, 'unexpected right paren');
        emit('rightParen', start, pos);
      } else if (PRINTABLE_ASCII.test(c)) {
        emit('char', start, pos);
      } else {
        throw new LexError(start, `unrecognized character in action: ${formatRuneU(c)}`);
      }
    }
  };

  let pos = 0;
  try {
    for (;;) {
      const x = input.indexOf(LEFT, pos);
      if (x < 0) {
        if (pos < input.length) emit('text', pos, input.length);
        emit('eof', input.length, input.length);
        return tokens;
      }
      const trimLeft = input[x + 2] === '-' && isSpace(input[x + 3]);
      let textEnd = x;
      if (trimLeft) while (textEnd > pos && isSpace(input[textEnd - 1])) textEnd--;
      if (textEnd > pos) emit('text', pos, textEnd);
      const inner = x + 2 + (trimLeft ? 2 : 0);
      if (input.startsWith('/*', inner)) {
        const close = input.indexOf('*/', inner + 2);
        if (close < 0) throw new LexError(inner, 'unclosed comment');
        const [isDelim, trim] = atRightDelim(close + 2);
        if (!isDelim) throw new LexError(inner, 'comment ends before closing delimiter');
        pos = close + 2 + (trim ? 4 : 2);
        if (trim) pos = skipSpaces(pos);
        continue;
      }
      emit('leftDelim', x, x + 2);
      pos = lexAction(inner);
    }
  } catch (err) {
    if (!(err instanceof LexError)) throw err;
    tokens.push({ kind: 'error', pos: err.at, val: err.message, line: lineAt(err.at) });
    tokens.push({ kind: 'eof', pos: input.length, val: '', line: lineAt(input.length) });
    return tokens;
  }
}
