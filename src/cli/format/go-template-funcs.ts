/**
 * Template functions: Go's builtins (text/template/funcs.go) and the ones
 * docker's CLI adds (cli/templates/templates.go), with their parameter types
 * so argument errors read as Go's do.
 */

import { formatValue, goJson, goSprint, goSprintf, goSprintln } from './go-template-fmt.js';
import {
  compareGoStrings, goTypeName, isGoInt, isGoMap, isMissing, isNil, isTrue, mapKeys, NO_VALUE, utf8Length,
} from './go-template-value.js';

/**
 * `value` is reflect.Value (anything, even a missing value); `any` is
 * interface{} (a missing value arrives as nil); the rest are Go's types.
 */
export type ParamType = 'value' | 'any' | 'string' | 'int' | 'stringSlice';

export interface FuncDef {
  readonly params: readonly ParamType[];
  readonly variadic?: ParamType;
  /** and/or evaluate their arguments lazily. */
  readonly shortCircuit?: 'and' | 'or';
  readonly impl: (args: unknown[]) => unknown;
}

/** A function's own failure; execution reports it as `error calling <name>: <message>`. */
export class FuncCallError extends Error {}

const fail = (message: string): never => {
  throw new FuncCallError(message);
};

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (isGoInt(v)) return 'int';
  if (typeof v === 'number') return 'float';
  return 'invalid';
}

const isValid = (v: unknown): boolean => !isMissing(v);

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (isValid(a) && isValid(b)) fail(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
      continue;
    }
    if (k1 !== 'invalid') {
      if (k1 === 'int' ? BigInt(a as number) === BigInt(b as number) : a === b) return true;
      continue;
    }
    // Neither side is a basic value: only nil comparisons are meaningful.
    const kindOf = (v: unknown): string => (isMissing(v) ? 'invalid' : Array.isArray(v) ? 'slice' : typeof v);
    if (kindOf(a) !== kindOf(b) && isValid(a) && isValid(b)) {
      fail(`non-comparable types ${formatValue(a)}: ${goTypeName(a)}, ${goTypeName(b)}: ${formatValue(b)}`);
    }
    if (isNil(a) || isNil(b)) {
      if (isNil(a) === isNil(b)) return true;
      continue;
    }
    fail(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') fail('invalid type for comparison');
  if (k1 !== k2) fail(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  if (k1 === 'bool') fail('invalid type for comparison');
  if (k1 === 'string') return compareGoStrings(a as string, b as string) < 0;
  if (k1 === 'int') return BigInt(a as number) < BigInt(b as number);
  return (a as number) < (b as number);
}

const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

function length(v: unknown): number {
  if (isMissing(v)) fail('reflect: call of reflect.Value.Type on zero Value');
  if (v === null) fail('len of nil pointer');
  if (typeof v === 'string') return utf8Length(v);
  if (Array.isArray(v)) return v.length;
  if (isGoMap(v)) return mapKeys(v).length;
  return fail(`len of type ${goTypeName(v)}`);
}

function indexArg(index: unknown, cap: number): number {
  if (isMissing(index)) fail('cannot index slice/array with nil');
  if (!isGoInt(index)) fail(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) fail(`index out of range: ${x}`);
  return x;
}

/** A missing key yields the map's zero value; maps of strings (docker's labels) give "". */
function zeroValueOf(map: Readonly<Record<string, unknown>>): unknown {
  return mapKeys(map).every((k) => typeof map[k] === 'string') ? '' : NO_VALUE;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (isMissing(item)) fail('index of untyped nil');
  for (const idx of indexes) {
    if (item === null) {
      if (typeof idx === 'string') return '';
      fail('index of nil pointer');
    }
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      const x = indexArg(idx, bytes.length);
      if (x === bytes.length) fail('reflect: string index out of range');
      item = bytes[x];
    } else if (Array.isArray(item)) {
      const x = indexArg(idx, item.length);
      if (x === item.length) fail('reflect: slice index out of range');
      item = item[x] === undefined ? null : item[x];
    } else if (isGoMap(item)) {
      if (isMissing(idx)) fail('value is nil; should be of type string');
      if (typeof idx !== 'string') fail(`value has type ${goTypeName(idx)}; should be string`);
      const key = idx as string;
      item = Object.hasOwn(item, key) && item[key] !== undefined ? item[key] : zeroValueOf(item);
    } else {
      fail(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (isMissing(item)) fail('slice of untyped nil');
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) fail('cannot 3-index slice a string');
    len = utf8Length(item);
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    return fail(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((v, i) => { idx[i] = indexArg(v, len); });
  const [lo = 0, hi = len, max = len] = idx;
  if (lo > hi) fail(`invalid slice index: ${lo} > ${hi}`);
  if (indexes.length === 3 && hi > max) fail(`invalid slice index: ${hi} > ${max}`);
  return typeof item === 'string' ? Buffer.from(item, 'utf8').subarray(lo, hi).toString('utf8') : item.slice(lo, hi);
}

/** The fmt.Sprint of html/js/urlquery, where nil prints as `<no value>`. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return goSprint(args.map((a) => (isNil(a) ? '<no value>' : a)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;',
};

function jsEscape(s: string): string {
  const named: Readonly<Record<string, string>> = {
    '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D',
  };
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (named[ch] !== undefined) out += named[ch];
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (cp >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Go's url.QueryEscape: spaces become '+', unreserved bytes pass. */
function queryEscape(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      return c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** Maps each rune on its own, as Go does; JS would expand 'ß' to "SS". */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

/** strings.Title's word boundary test, applied to the rune before a letter. */
function isTitleSeparator(ch: string): boolean {
  if (ch <= '\x7f') return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** strings.Title: upper-case the first letter of every word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isTitleSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}

/** strings.Repeat panics on a negative count; Go reports the panic as the call's error. */
function spaces(n: number): string {
  if (n < 0) fail('strings: negative Repeat count');
  return ' '.repeat(n);
}

const BUILTINS: Readonly<Record<string, FuncDef>> = {
  and: { params: ['value'], variadic: 'value', shortCircuit: 'and', impl: () => NO_VALUE },
  or: { params: ['value'], variadic: 'value', shortCircuit: 'or', impl: () => NO_VALUE },
  not: { params: ['value'], impl: ([v]) => !isTrue(v) },
  len: { params: ['value'], impl: ([v]) => length(v) },
  index: { params: ['value'], variadic: 'value', impl: ([item, ...rest]) => index(item, ...rest) },
  slice: { params: ['value'], variadic: 'value', impl: ([item, ...rest]) => slice(item, ...rest) },
  print: { params: [], variadic: 'any', impl: (args) => goSprint(args) },
  println: { params: [], variadic: 'any', impl: (args) => goSprintln(args) },
  printf: { params: ['string'], variadic: 'any', impl: ([f, ...rest]) => goSprintf(f as string, rest) },
  html: { params: [], variadic: 'any', impl: (args) => evalArgs(args).replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c] ?? c) },
  js: { params: [], variadic: 'any', impl: (args) => jsEscape(evalArgs(args)) },
  urlquery: { params: [], variadic: 'any', impl: (args) => queryEscape(evalArgs(args)) },
  call: {
    params: ['value'],
    variadic: 'value',
    impl: ([fn, ...rest]) => {
      if (isNil(fn)) fail('call of nil');
      if (typeof fn !== 'function') fail(`non-function of type ${goTypeName(fn)}`);
      return (fn as (...a: unknown[]) => unknown)(...rest.map((a) => (isMissing(a) ? null : a)));
    },
  },
  eq: { params: ['value'], variadic: 'value', impl: ([a, ...rest]) => eq(a, ...rest) },
  ne: { params: ['value', 'value'], impl: ([a, b]) => !eq(a, b) },
  lt: { params: ['value', 'value'], impl: ([a, b]) => lt(a, b) },
  le: { params: ['value', 'value'], impl: ([a, b]) => le(a, b) },
  gt: { params: ['value', 'value'], impl: ([a, b]) => !le(a, b) },
  ge: { params: ['value', 'value'], impl: ([a, b]) => !lt(a, b) },
};

const DOCKER: Readonly<Record<string, FuncDef>> = {
  json: { params: ['any'], impl: ([v]) => goJson(v) },
  split: {
    params: ['string', 'string'],
    impl: ([s, sep]) => (sep === '' ? [...(s as string)] : (s as string).split(sep as string)),
  },
  join: { params: ['stringSlice', 'string'], impl: ([list, sep]) => (list as string[]).join(sep as string) },
  title: { params: ['string'], impl: ([s]) => title(s as string) },
  lower: { params: ['string'], impl: ([s]) => mapRunes(s as string, (c) => c.toLowerCase()) },
  upper: { params: ['string'], impl: ([s]) => mapRunes(s as string, (c) => c.toUpperCase()) },
  pad: {
    params: ['string', 'int', 'int'],
    impl: ([s, pre, post]) => (s === '' ? '' : spaces(Number(pre)) + String(s) + spaces(Number(post))),
  },
  truncate: {
    params: ['string', 'int'],
    impl: ([s, n]) => {
      const bytes = Buffer.from(s as string, 'utf8');
      const len = Number(n);
      if (bytes.length < len) return s;
      if (len < 0) fail(`runtime error: slice bounds out of range [:${len}]`);
      return bytes.subarray(0, len).toString('utf8');
    },
  },
};

const identity = (params: readonly ParamType[]): FuncDef => ({ params, impl: ([s]) => s });

/** docker renders table headers with these instead, so a header cell stays its column name. */
const HEADER: Readonly<Record<string, FuncDef>> = {
  json: identity(['string']),
  split: identity(['string', 'string']),
  join: identity(['string', 'string']),
  title: identity(['string']),
  lower: identity(['string']),
  upper: identity(['string']),
  truncate: identity(['string', 'int']),
};

export type FuncTable = ReadonlyMap<string, FuncDef>;

export const TEMPLATE_FUNCS: FuncTable = new Map(Object.entries({ ...BUILTINS, ...DOCKER }));
export const HEADER_FUNCS: FuncTable = new Map(Object.entries({ ...BUILTINS, ...DOCKER, ...HEADER }));
export const FUNC_NAMES: ReadonlySet<string> = new Set(TEMPLATE_FUNCS.keys());
