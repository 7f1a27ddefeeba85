/**
 * The pieces of Go's strconv that templates expose: quoting (`%q`, parse error
 * messages), unquoting string literals, and float formatting (`%v`, `%e`,
 * `%f`, `%g`). Floats are rounded from their exact binary value, half to even,
 * as strconv does; JavaScript's toFixed rounds ties away from zero.
 */

// Made on first use by a non-ASCII character (table.ts says why).
let print: RegExp | undefined;

/** Go's unicode.IsPrint: graphic characters plus ASCII space only. */
export function isGoPrint(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return (print ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u).test(ch);
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

function escapeRune(ch: string, quote: string, asciiOnly: boolean): string {
  if (ch === quote || ch === '\\') return `\\${ch}`;
  let cp = ch.codePointAt(0) ?? 0;
  if (asciiOnly ? cp < 0x80 && isGoPrint(ch) : isGoPrint(ch)) return ch;
  switch (ch) {
    case '\x07': return '\\a';
    case '\b': return '\\b';
    case '\f': return '\\f';
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    case '\v': return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  return cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

/** strconv.Quote (or QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch, '"', asciiOnly);
  return `${out}"`;
}

/** strconv.QuoteRune; invalid code points become U+FFFD as in Go. */
export function goQuoteRune(cp: number, asciiOnly = false): string {
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return `'${escapeRune(String.fromCodePoint(valid ? cp : 0xfffd), "'", asciiOnly)}'`;
}

export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '`' || cp === 0xfeff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if ((cp < 0x20 && ch !== '\t') || cp === 0x7f) return false;
  }
  return true;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92,
};

/**
 * Decodes one (possibly escaped) character of a quoted literal, as
 * strconv.UnquoteChar. Returns the bytes it stands for and the next index.
 * \x and octal escapes are single bytes, so callers decode UTF-8 at the end.
 */
function unquoteChar(s: string, i: number, quote: string): [number[], number] {
  const c = s[i];
  if (c === undefined || c === quote) throw new Error('invalid syntax');
  if (c !== '\\') {
    const ch = String.fromCodePoint(s.codePointAt(i) ?? 0);
    return [[...Buffer.from(ch, 'utf8')], i + ch.length];
  }
  const e = s[i + 1] ?? '';
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) return [[simple], i + 2];
  if (e === "'" || e === '"') {
    if (e !== quote) throw new Error('invalid syntax');
    return [[e.charCodeAt(0)], i + 2];
  }
  const digits = (n: number, re: RegExp, radix: number): number => {
    const text = s.slice(i + 2, i + 2 + n);
    if (text.length !== n || !re.test(text)) throw new Error('invalid syntax');
    return parseInt(text, radix);
  };
  if (e === 'x') return [[digits(2, /^[0-9a-fA-F]+$/, 16)], i + 4];
  if (e === 'u' || e === 'U') {
    const n = e === 'u' ? 4 : 8;
    const cp = digits(n, /^[0-9a-fA-F]+$/, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error('invalid syntax');
    return [[...Buffer.from(String.fromCodePoint(cp), 'utf8')], i + 2 + n];
  }
  if (e >= '0' && e <= '7') {
    const text = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(text) || parseInt(text, 8) > 255) throw new Error('invalid syntax');
    return [[parseInt(text, 8)], i + 4];
  }
  throw new Error('invalid syntax');
}

/** strconv.Unquote for "..." and `...` literals; throws Error("invalid syntax"). */
export function goUnquote(quoted: string): string {
  const q = quoted[0];
  if (quoted.length < 2 || quoted[quoted.length - 1] !== q) throw new Error('invalid syntax');
  const body = quoted.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body.replaceAll('\r', '');
  }
  if (q !== '"' || body.includes('\n')) throw new Error('invalid syntax');
  const bytes: number[] = [];
  for (let i = 0; i < body.length;) {
    const [b, next] = unquoteChar(body, i, '"');
    bytes.push(...b);
    i = next;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Value of a character constant such as 'a' or '\n'. */
export function goUnquoteRune(text: string): number {
  const [bytes, next] = unquoteChar(text, 1, "'");
  if (text.slice(next) !== "'") throw new Error(`malformed character constant: ${text}`);
  const isSingleEscape = text[1] === '\\' && /[x0-7]/.test(text[2] ?? '');
  return isSingleEscape ? (bytes[0] ?? 0) : (Buffer.from(bytes).toString('utf8').codePointAt(0) ?? 0);
}

/** A decimal 0.d × 10^dp with no leading or trailing zeros in d; d is '' for zero. */
interface Decimal { d: string; dp: number }

function trimZeros(x: Decimal): Decimal {
  const d = x.d.replace(/0+$/, '');
  return d === '' ? { d: '', dp: 0 } : { d, dp: x.dp };
}

function exactDecimal(v: number): Decimal {
  if (v === 0) return { d: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e2 = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (e2 >= 0) {
    const d = (mant << BigInt(e2)).toString();
    return trimZeros({ d, dp: d.length });
  }
  const d = (mant * 5n ** BigInt(-e2)).toString();
  return trimZeros({ d, dp: d.length + e2 });
}

/** Shortest digits that round-trip; JavaScript's toExponential() computes exactly these. */
function shortestDecimal(v: number): Decimal {
  if (v === 0) return { d: '', dp: 0 };
  const [mant = '', exp = '0'] = v.toExponential().split('e');
  return trimZeros({ d: mant.replace('.', ''), dp: Number(exp) + 1 });
}

/** Keeps nd digits, rounding half to even like strconv's decimal.Round. */
function roundDecimal(x: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  const halfway = next === 5 && nd + 1 === x.d.length;
  const up = halfway ? nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1 : next >= 5;
  if (!up) return trimZeros({ d: x.d.slice(0, nd), dp: x.dp });
  for (let i = nd - 1; i >= 0; i--) {
    if (x.d[i] !== '9') return { d: x.d.slice(0, i) + String.fromCharCode(x.d.charCodeAt(i) + 1), dp: x.dp };
  }
  return { d: '1', dp: x.dp + 1 };
}

function fmtE(x: Decimal, prec: number, e: string): string {
  let out = x.d[0] ?? '0';
  if (prec > 0) out += `.${x.d.slice(1, prec + 1).padEnd(prec, '0')}`;
  let exp = x.d === '' ? 0 : x.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${e}${sign}${String(exp).padStart(2, '0')}`;
}

function fmtF(x: Decimal, prec: number): string {
  let out = x.dp > 0 ? x.d.slice(0, x.dp).padEnd(x.dp, '0') : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = x.dp + i;
      out += j >= 0 && j < x.d.length ? x.d[j] : '0';
    }
  }
  return out;
}

export type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G';

/** strconv.FormatFloat(v, fmt, prec, 64); prec < 0 asks for the shortest form. */
export function formatFloat(v: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0) ? '-' : '';
  const abs = Math.abs(v);
  const shortest = prec < 0;
  let x: Decimal;
  if (shortest) {
    x = shortestDecimal(abs);
    prec = fmt === 'f' ? Math.max(x.d.length - x.dp, 0) : fmt === 'g' || fmt === 'G' ? x.d.length : Math.max(x.d.length - 1, 0);
  } else {
    x = exactDecimal(abs);
    if (fmt === 'e' || fmt === 'E') x = roundDecimal(x, prec + 1);
    else if (fmt === 'f') x = roundDecimal(x, x.dp + prec);
    else {
      if (prec === 0) prec = 1;
      x = roundDecimal(x, prec);
    }
  }
  if (fmt === 'e' || fmt === 'E') return neg + fmtE(x, prec, fmt);
  if (fmt === 'f') return neg + fmtF(x, prec);
  const nd = x.d.length;
  let eprec = prec;
  if (eprec > nd && nd >= x.dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = x.dp - 1;
  if (exp < -4 || exp >= eprec) {
    return neg + fmtE(x, Math.min(prec, nd) - 1, fmt === 'G' ? 'E' : 'e');
  }
  if (prec > x.dp) prec = nd;
  return neg + fmtF(x, Math.max(prec - x.dp, 0));
}

/** A string as encoding/json writes it with SetEscapeHTML(false) (Go 1.22+ escapes). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20) out += `\\u${hex(c, 4)}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s.slice(i, i + 2);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += s[i];
  }
  return `${out}"`;
}
