/**
 * Go's fmt as templates use it: how values print (`{{.}}`, print, println)
 * and printf's verbs, flags, widths and `%!verb(type=value)` complaints.
 * Also encoding/json for docker's `json` function.
 */

import { canBackquote, type FloatFormat, formatFloat, goJsonString, goQuote, goQuoteRune, isGoPrint } from './go-template-strconv.js';
import { goTypeName, isGoInt, isGoMap, isNil, mapKeys, NO_VALUE, compareGoStrings } from './go-template-value.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** %#v: Go-syntax representation. */
  sharpV: boolean;
  wid: number | undefined;
  prec: number | undefined;
}

const newFlags = (): Flags => ({
  plus: false, minus: false, sharp: false, space: false, zero: false, sharpV: false, wid: undefined, prec: undefined,
});

const runeCount = (s: string): number => [...s].length;

function pad(s: string, f: Flags, zeroAllowed = f.zero): string {
  const n = (f.wid ?? 0) - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (zeroAllowed ? '0' : ' ').repeat(n) + s;
}

function truncate(s: string, f: Flags): string {
  return f.prec === undefined ? s : [...s].slice(0, f.prec).join('');
}

function badVerb(verb: string, arg: unknown, f: Flags): string {
  const body = isNil(arg) ? '<nil>' : `${goTypeName(arg)}=${fmtArg(arg, 'v', f, 0)}`;
  return `%!${verb}(${body})`;
}

function fmtInteger(n: bigint, verb: string, f: Flags, arg: unknown): string {
  const bases: Readonly<Record<string, number>> = { v: 10, d: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };
  const base = bases[verb];
  if (base === undefined) {
    const cp = Number(n);
    if (verb === 'c') return pad(String.fromCodePoint(cp >= 0 && cp <= 0x10ffff ? cp : 0xfffd), f);
    if (verb === 'q') {
      return pad(f.sharp && canBackquote(String.fromCodePoint(cp)) ? `\`${String.fromCodePoint(cp)}\`` : goQuoteRune(cp, f.plus), f);
    }
    if (verb === 'U') {
      let s = `U+${cp.toString(16).toUpperCase().padStart(Math.max(f.prec ?? 4, 4), '0')}`;
      if (f.sharp && cp >= 0 && cp <= 0x10ffff && isGoPrint(String.fromCodePoint(cp))) s += ` '${String.fromCodePoint(cp)}'`;
      return pad(s, f, false);
    }
    return badVerb(verb, arg, f);
  }
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && abs === 0n) return pad('', f, false);
  } else if (f.zero && !f.minus && f.wid !== undefined) {
    prec = f.wid - (negative || f.plus || f.space ? 1 : 0);
  }
  let digits = abs.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  digits = digits.padStart(prec, '0');
  if (f.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && !digits.startsWith('0')) digits = `0${digits}`;
    else if (base === 16) digits = `0${verb}${digits}`;
  }
  if (verb === 'O') digits = `0o${digits}`;
  const sign = negative ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + digits, f, false);
}

function fmtFloat(v: number, verb: string, f: Flags, arg: unknown): string {
  if (!'vgGeEfF'.includes(verb)) return badVerb(verb, arg, f);
  const fmt = verb === 'v' ? 'g' : verb === 'F' ? 'f' : (verb as FloatFormat);
  // An explicit precision applies to %v too; otherwise %v and %g are shortest, %e and %f use 6.
  const num = formatFloat(v, fmt, f.prec ?? (fmt === 'g' || fmt === 'G' ? -1 : 6));
  // Go reserves a sign slot, then decides whether to show it.
  let signed = num.startsWith('-') || num.startsWith('+') ? num : `+${num}`;
  if (f.space && signed.startsWith('+') && !f.plus) signed = ` ${signed.slice(1)}`;
  if (signed.endsWith('Inf') || signed.endsWith('NaN')) {
    if (signed.endsWith('NaN') && !f.space && !f.plus) signed = signed.slice(1);
    return pad(signed, f, false);
  }
  if (f.plus || !signed.startsWith('+')) {
    if (f.zero && !f.minus && f.wid !== undefined && f.wid > signed.length) {
      return signed[0] + '0'.repeat(f.wid - signed.length) + signed.slice(1);
    }
    return pad(signed, f);
  }
  return pad(signed.slice(1), f);
}

function fmtString(s: string, verb: string, f: Flags, arg: unknown): string {
  switch (verb) {
    case 'v':
      return f.sharpV ? pad(goQuote(s), f) : pad(truncate(s, f), f);
    case 's':
      return pad(truncate(s, f), f);
    case 'q': {
      const t = truncate(s, f);
      return pad(f.sharp && canBackquote(t) ? `\`${t}\`` : goQuote(t, f.plus), f);
    }
    case 'x':
    case 'X': {
      let bytes = [...Buffer.from(s, 'utf8')];
      if (f.prec !== undefined) bytes = bytes.slice(0, f.prec);
      const hexes = bytes.map((b) => {
        const h = b.toString(16).padStart(2, '0');
        return verb === 'X' ? h.toUpperCase() : h;
      });
      const prefix = f.sharp ? `0${verb}` : '';
      const out = f.space ? hexes.map((h) => prefix + h).join(' ') : prefix + hexes.join('');
      return pad(out, f, false);
    }
    default:
      return badVerb(verb, arg, f);
  }
}

function fmtArg(arg: unknown, verb: string, f: Flags, depth: number): string {
  if (isNil(arg)) {
    if (f.sharpV && depth > 0) return pad('interface {}(nil)', f);
    return verb === 'v' || verb === 'T' || depth > 0 ? pad('<nil>', f) : badVerb(verb, arg, f);
  }
  if (verb === 'T') return pad(goTypeName(arg), f);
  if (typeof arg === 'boolean') return verb === 't' || verb === 'v' ? pad(String(arg), f) : badVerb(verb, arg, f);
  if (typeof arg === 'string') return fmtString(arg, verb, f, arg);
  if (typeof arg === 'number' || typeof arg === 'bigint') {
    // Integral JS numbers may have been Go floats, so float verbs accept them.
    if (isGoInt(arg) && !'eEfFgG'.includes(verb)) return fmtInteger(BigInt(arg), verb, f, arg);
    return fmtFloat(Number(arg), verb, f, arg);
  }
  if (typeof arg === 'function') return pad(`func()`, f);
  if (Array.isArray(arg)) {
    const elems = arg.map((e: unknown) => fmtArg(e, verb, f, depth + 1));
    return f.sharpV ? `[]interface {}{${elems.join(', ')}}` : `[${elems.join(' ')}]`;
  }
  if (isGoMap(arg)) {
    const sep = f.sharpV ? ', ' : ' ';
    const entries = mapKeys(arg).map((k) => `${fmtArg(k, verb, f, depth + 1)}:${fmtArg(arg[k], verb, f, depth + 1)}`);
    return f.sharpV ? `map[string]interface {}{${entries.join(sep)}}` : `map[${entries.join(sep)}]`;
  }
  return pad(String(arg), f);
}

/** How `{{.}}` prints a value: fmt.Fprint, after Go's `<no value>` rule. */
export function formatValue(v: unknown): string {
  return v === NO_VALUE || v === undefined ? '<no value>' : fmtArg(v, 'v', newFlags(), 0);
}

/** fmt.Sprint: spaces go between operands when neither side is a string. */
export function goSprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && typeof args[i - 1] !== 'string') out += ' ';
    out += fmtArg(arg, 'v', newFlags(), 0);
  });
  return out;
}

export function goSprintln(args: readonly unknown[]): string {
  return `${args.map((a) => fmtArg(a, 'v', newFlags(), 0)).join(' ')}\n`;
}

export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const readNumber = (): number | undefined => {
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  const intArg = (): number | undefined => {
    const a = args[argNum++];
    return isGoInt(a) && Math.abs(Number(a)) <= 1e6 ? Number(a) : undefined;
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = newFlags();
    for (let c = format[i]; c !== undefined && '#0+- '.includes(c); c = format[++i]) {
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') { f.minus = true; f.zero = false; }
      else f.space = true;
    }
    if (format[i] === '*') {
      i++;
      const w = intArg();
      if (w === undefined) out += '%!(BADWIDTH)';
      else if (w < 0) { f.minus = true; f.zero = false; f.wid = -w; }
      else f.wid = w;
    } else {
      f.wid = readNumber();
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = intArg();
        if (p === undefined || p < 0) out += p === undefined ? '%!(BADPREC)' : '';
        else f.prec = p;
      } else {
        f.prec = readNumber() ?? 0;
      }
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v' && f.sharp) {
      f.sharp = false;
      f.sharpV = true;
    }
    if (verb === 'v') f.plus = false;
    out += fmtArg(args[argNum++], verb, f, 0);
  }
  if (argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (isNil(a) ? '<nil>' : `${goTypeName(a)}=${fmtArg(a, 'v', newFlags(), 0)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

class JsonUnsupported extends Error {}

function encodeJson(v: unknown): string {
  if (isNil(v)) return 'null';
  switch (typeof v) {
    case 'boolean': return String(v);
    case 'bigint': return v.toString();
    case 'number':
      if (!Number.isFinite(v)) throw new JsonUnsupported();
      return JSON.stringify(v);
    case 'string': return goJsonString(v);
    case 'function': throw new JsonUnsupported();
  }
  if (Array.isArray(v)) return `[${v.map((e: unknown) => encodeJson(e)).join(',')}]`;
  const obj = v as Record<string, unknown>;
  // toJSON stands for Go's MarshalJSON; docker's list contexts implement it with json.Marshal,
  // which escapes <, > and & (`{{json .}}` of a ps row has `\u003e`, `{{json .Command}}` not).
  if (typeof obj['toJSON'] === 'function') return escapeHtml(encodeJson((obj['toJSON'] as () => unknown).call(obj)));
  const keys = mapKeys(obj).sort(compareGoStrings);
  return `{${keys.map((k) => `${goJsonString(k)}:${encodeJson(obj[k])}`).join(',')}}`;
}

/** encoding/json's HTML escaping, applied to encoded JSON (the characters only occur inside strings). */
function escapeHtml(json: string): string {
  return json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/**
 * docker's `json`: encoding/json without HTML escaping or trailing newline.
 * Objects are Go maps, so keys come out sorted (docker's list rows marshal as
 * maps too). Values Go cannot encode (NaN, functions) give "", because docker
 * ignores the encoder's error.
 */
export function goJson(v: unknown): string {
  try {
    return encodeJson(v);
  } catch (err) {
    if (err instanceof JsonUnsupported) return '';
    throw err;
  }
}
