/**
 * One line of docker's json-file log: `{"log":"hi\n","stream":"stdout","time":"…Z"}` (moby
 * `daemon/logger/jsonfilelog/jsonlog`), plus `attrs` when log options add labels, env or a tag.
 * Times keep nanosecond precision: JS Dates stop at milliseconds, and `--since` / `--timestamps`
 * must agree with docker to the nanosecond.
 */

export interface LogTime {
  /** Nanoseconds since the Unix epoch, for since/until comparisons. */
  ns: bigint;
  /** Go's RFC3339NanoFixed rendering (`2006-01-02T15:04:05.000000000Z07:00`), as `docker logs -t` prints. */
  fixed: string;
}

export interface JsonLogEntry {
  log: Buffer;
  stream: string;
  time: LogTime;
  attrs: Record<string, string>;
}

// RFC3339 with an optional fraction: docker writes RFC3339Nano, which trims trailing zeros (and the
// dot when the fraction is zero), so `…05Z`, `…05.1Z` and `…05.123456789Z` all occur.
const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Go's zero time.Time, which is what docker reports for an entry without a `time` field. */
const ZERO_TIME = parseLogTime('0001-01-01T00:00:00Z') as LogTime;

export function parseLogTime(text: string): LogTime | undefined {
  const m = TIME_RE.exec(text);
  if (!m) return undefined;
  const [, base = '', frac = '', zone = 'Z'] = m;
  const ms = Date.parse(`${base}Z`); // Date.parse takes 4-digit years literally (Date.UTC would map 0001 to 1901)
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = frac.padEnd(9, '0');
  const ns = BigInt(ms) * 1_000_000n + BigInt(nanos) - BigInt(offsetMinutes) * 60_000_000_000n;
  // Go's "Z07:00" layout prints Z for any zero offset, and keeps other offsets as written.
  const printedZone = offsetMinutes === 0 ? 'Z' : zone;
  return { ns, fixed: `${base}.${nanos}${printedZone}` };
}

/** Unix seconds (fractional allowed, as docker's `--since 1700000000.5`) → nanoseconds. */
export function secondsToNs(seconds: number): bigint {
  const whole = Math.floor(seconds);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((seconds - whole) * 1e9));
}

/**
 * Decodes one line (without its '\n'). Returns undefined for a line that is not a log entry, so
 * the caller can skip it: moby's reader also moves past a json SyntaxError rather than failing.
 */
export function parseLogLine(line: Buffer): JsonLogEntry | undefined {
  const entry = decode(line);
  if (entry) return entry;
  // A writer killed mid-line leaves a fragment that the next entry is appended to on the same line.
  // Salvage that next entry instead of losing it with the fragment.
  const start = line.lastIndexOf('{"log":');
  return start > 0 ? decode(line.subarray(start)) : undefined;
}

function decode(line: Buffer): JsonLogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  if (typeof raw.log !== 'string') return undefined;
  let time = ZERO_TIME;
  if (raw.time !== undefined) {
    if (typeof raw.time !== 'string') return undefined;
    const parsed = parseLogTime(raw.time);
    if (!parsed) return undefined; // Go's decoder rejects the whole line on a bad time
    time = parsed;
  }
  return {
    log: Buffer.from(raw.log, 'utf8'),
    stream: typeof raw.stream === 'string' ? raw.stream : '',
    time,
    attrs: stringRecord(raw.attrs),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The `details` prefix: attrs sorted by key, `k=v` joined by ',', each part escaped like Go's
 * url.QueryEscape (moby `attrsByteSlice`). No attrs gives an empty string; docker still adds the
 * separating space, so `docker logs --details` prints " hi" for a plain line.
 */
export function formatAttrs(attrs: Record<string, string>): string {
  return Object.keys(attrs)
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(attrs[k] ?? '')}`)
    .join(',');
}

function queryEscape(s: string): string {
  // encodeURIComponent leaves !'()* alone and writes space as %20; Go escapes those and writes '+'.
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
