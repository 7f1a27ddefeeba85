import { InvalidParameterError } from '../../core/errors.js';

/**
 * The disk budget's marks as configured: a percentage of the filesystem that holds the data
 * root (what `df` shows for it), or a byte count of what the data root itself takes (what
 * `du -sb` shows). Both marks must be of one kind: they are compared with one measure.
 */
export type Mark = { percent: number } | { bytes: number };

export interface BudgetSpec {
  high: Mark;
  low: Mark;
  /** How long a freshly pulled, loaded, built or tagged image is safe from the budget. */
  graceMs: number;
}

/** Long enough for any `pull` then `create`/`run` a script or compose does; containerd's leases expire likewise. */
export const DEFAULT_GRACE_MS = 10 * 60_000;

// Decimal units for XB (as disks are sold and docker's FromHumanSize reads them), binary for XiB.
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** `80%`, `20GB`, `15GiB`, `500000000`. */
export function parseMark(text: string, which: string): Mark {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent <= 0 || percent >= 100) throw new InvalidParameterError(`invalid storage-budget ${which} "${text}": a percentage must be between 0 and 100 (exclusive)`);
    return { percent };
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) throw new InvalidParameterError(`invalid storage-budget ${which} "${text}": use a percentage of the data root's filesystem (80%) or a size (20GB, 15GiB)`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0) throw new InvalidParameterError(`invalid storage-budget ${which} "${text}": a size must be more than 0`);
  return { bytes };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

function parseGrace(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new InvalidParameterError(`invalid storage-budget grace "${text}": use a duration like 10m, 30s or 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/**
 * daemon.json's `"storage-budget": {"high": "80%", "low": "70%"}` (and optionally `"grace": "10m"`),
 * or berthd's `--storage-budget high=80%,low=70%`: both come here as a map of strings.
 */
export function parseBudget(values: Readonly<Record<string, string>>): BudgetSpec {
  for (const key of Object.keys(values)) {
    if (!['high', 'low', 'grace'].includes(key)) throw new InvalidParameterError(`invalid storage-budget key "${key}": use high, low and optionally grace`);
  }
  if (values.high === undefined || values.low === undefined) throw new InvalidParameterError('invalid storage-budget: both high and low marks are needed, e.g. high=80%,low=70%');
  const high = parseMark(values.high, 'high');
  const low = parseMark(values.low, 'low');
  if ('percent' in high !== 'percent' in low) throw new InvalidParameterError(`invalid storage-budget: high "${values.high}" and low "${values.low}" must both be percentages or both sizes`);
  const h = 'percent' in high ? high.percent : high.bytes;
  const l = 'percent' in low ? low.percent : low.bytes;
  if (l >= h) throw new InvalidParameterError(`invalid storage-budget: the low mark "${values.low}" must be below the high mark "${values.high}"`);
  return { high, low, graceMs: values.grace !== undefined ? parseGrace(values.grace) : DEFAULT_GRACE_MS };
}

/** berthd's `--storage-budget high=80%,low=70%[,grace=10m]`. */
export function parseBudgetFlag(text: string): BudgetSpec {
  const values: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidParameterError(`invalid --storage-budget "${text}": use high=80%,low=70% (or sizes: high=20GB,low=15GB)`);
    values[part.slice(0, eq).trim()] = part.slice(eq + 1);
  }
  return parseBudget(values);
}

/** A mark in bytes, given the size of the data root's filesystem. */
export function markBytes(mark: Mark, fsSize: number): number {
  return 'percent' in mark ? Math.floor((fsSize * mark.percent) / 100) : mark.bytes;
}

export function markText(mark: Mark): string {
  return 'percent' in mark ? `${mark.percent}%` : `${mark.bytes}B`;
}
