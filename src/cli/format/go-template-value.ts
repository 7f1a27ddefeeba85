/**
 * How JavaScript data maps onto the Go values a template sees.
 *
 * - NO_VALUE (or undefined) is Go's invalid reflect.Value: what a missing map
 *   key yields, printed as `<no value>`.
 * - null is a nil pointer: printed as `<nil>`, false, and an error to take a
 *   field of.
 * - Integral numbers are Go ints; other numbers are float64; bigint is int64.
 * - Arrays are []interface{}; other objects are map[string]interface{}, so
 *   their keys are visited in sorted order. Function-valued properties are
 *   methods: called when named, skipped when the object is printed.
 */

export const NO_VALUE: unique symbol = Symbol('<no value>');
export type NoValue = typeof NO_VALUE;

/** Thrown for template parse and execution errors; the message is Go's. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** What execution wrote before the failure (docker prints table headers up to an error). */
  readonly partialOutput: string;

  constructor(message: string, partialOutput = '') {
    super(message);
    this.partialOutput = partialOutput;
  }
}

export function isMissing(v: unknown): v is NoValue | undefined {
  return v === NO_VALUE || v === undefined;
}

/** Nil in Go's sense: missing, or a nil pointer. */
export function isNil(v: unknown): boolean {
  return v === null || isMissing(v);
}

export function isGoMap(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isGoInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** Go orders strings by their UTF-8 bytes, which differs from UTF-16 order past the BMP. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The keys of an object as a Go map: data properties only, in Go's sorted order. */
export function mapKeys(obj: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort(compareGoStrings);
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The Go type a value stands for, as `%T` and error messages spell it. */
export function goTypeName(v: unknown): string {
  if (isNil(v)) return '<nil>';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'bigint': return 'int64';
    case 'number': return Number.isInteger(v) ? 'int' : 'float64';
    case 'function': return 'func()';
    default: return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
  }
}

/** Go's template truth: the value is not the zero value of its type. */
export function isTrue(v: unknown): boolean {
  if (isNil(v)) return false;
  switch (typeof v) {
    case 'string': return v.length > 0;
    case 'boolean': return v;
    case 'number': return v !== 0;
    case 'bigint': return v !== 0n;
    case 'function': return true;
    default: {
      if (Array.isArray(v)) return v.length > 0;
      // Class instances stand for Go structs, which are always true.
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return true;
      return mapKeys(v as Record<string, unknown>).length > 0;
    }
  }
}

/**
 * Looks a field up the way a Go map index or struct field access would:
 * own properties, or getters/methods of a class, but nothing that every
 * object inherits (so `.constructor` is a missing key, not a function).
 */
export function lookupField(obj: object, name: string): { found: boolean; value: unknown } {
  for (let o: object | null = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, name)) return { found: true, value: (obj as Record<string, unknown>)[name] };
  }
  return { found: false, value: NO_VALUE };
}
