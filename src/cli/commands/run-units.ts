/**
 * Value parsers for container flags, with the docker CLI's rules and messages: go-units
 * RAMInBytes (`512m`, `1g`), NanoCPUs (`--cpus 1.5`), Go durations (`--health-interval 30s`),
 * ulimits (`nofile=1024:2048`), integers as pflag parses them.
 */
import type { Ulimit } from '../../api/types/container.js';

/** A flag value the CLI itself refuses; `run`/`create` print it and exit 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: a number with an optional binary suffix (k, kb, kib, m, … case-insensitive). */
export function ramInBytes(size: string): number {
  let sep = -1;
  for (let i = size.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(size[i] ?? '')) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new FlagError(`invalid size: '${size}'`);
  const num = size[sep] === ' ' ? size.slice(0, sep) : size.slice(0, sep + 1);
  let sfx = size.slice(sep + 1);
  if (!/^[0-9]*\.?[0-9]*$/.test(num) || num === '' || num === '.') throw new FlagError(`invalid size: '${size}'`);
  let value = Number(num);
  if (!Number.isFinite(value) || value < 0) throw new FlagError(`invalid size: '${size}'`);
  if (sfx.length === 0) return Math.trunc(value);
  const bad = (): never => {
    throw new FlagError(`invalid suffix: '${sfx}'`);
  };
  if (sfx.length > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') return sfx.length > 1 ? bad() : Math.trunc(value);
  const mul = BINARY[sfx[0] ?? ''];
  if (mul === undefined) return bad();
  value *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return Math.trunc(value);
}

/** `--memory-swap`: a size, or -1 for unlimited swap. */
export function memSwapBytes(value: string): number {
  return value === '-1' ? -1 : ramInBytes(value);
}

/** `--cpus 1.5` → 1500000000 NanoCpus; docker parses a rational and refuses sub-nano precision. */
export function parseNanoCpus(value: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new FlagError(`failed to parse ${value} as a rational number`);
  const frac = m[3] ?? '';
  if (frac.replace(/0+$/, '').length > 9) throw new FlagError('value is too precise');
  const nanos = Number(m[2] || '0') * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9) || '0');
  return m[1] === '-' ? -nanos : nanos;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds (`1h30m`, `1.5s`, `300ms`, `0`). */
export function parseGoDuration(value: string): number {
  const invalid = (): never => {
    throw new FlagError(`time: invalid duration "${value}"`);
  };
  let s = value;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^\d*\.?\d*$/.test(s)) throw new FlagError(`time: missing unit in duration "${value}"`);
      return invalid();
    }
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** pflag's int parsing: a flag that is not an integer is refused with strconv's wording. */
export function parseIntFlag(flag: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new FlagError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}


const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]);

/** go-units ParseUlimit: `name=soft[:hard]`; hard defaults to soft. */
export function parseUlimit(spec: string): Ulimit {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new FlagError(`invalid ulimit argument: ${spec}`);
  const name = spec.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw new FlagError(`invalid ulimit type: ${name}`);
  const [softText = '', hardText, extra] = spec.slice(eq + 1).split(':');
  if (extra !== undefined) throw new FlagError(`too many limit value arguments - ${spec.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (t: string): number => {
    if (!/^-?\d+$/.test(t)) throw new FlagError(`invalid ulimit argument: ${spec}`);
    return Number(t);
  };
  const soft = num(softText);
  const hard = hardText === undefined ? soft : num(hardText);
  if (soft > hard) throw new FlagError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}
