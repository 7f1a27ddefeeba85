/**
 * `--keep-removed DURATION` and `--keep-removed-size SIZE` (daemon.json `keep-removed`,
 * `keep-removed-size`): how long and how many bytes of records of removed containers berthd keeps.
 */
import { InvalidParameterError } from '../core/errors.js';

export const KEEP_REMOVED_DEFAULT = '72h';
export const KEEP_REMOVED_SIZE_DEFAULT = '256MB';

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** A Go-style duration (`72h`, `90m`, `1h30m`, `3s`; also `7d`), or `0` to keep nothing; in ms. */
export function parseKeepRemoved(text: string): number {
  const value = text.trim();
  if (value === '0') return 0;
  const bad = new InvalidParameterError(`invalid --keep-removed "${text}": use a duration like 72h, 30m or 7d, or 0 to keep no records`);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(value)) throw bad;
  let ms = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * (TIME_UNITS[m[2] ?? ''] ?? 0);
  return Math.round(ms);
}

/** A size in bytes with a binary unit (`256MB`, `1g`, `512k`, `1048576`), or `0` to keep nothing. */
export function parseKeepRemovedSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? 'x').toLowerCase()];
  if (!m || unit === undefined) throw new InvalidParameterError(`invalid --keep-removed-size "${text}": use a size like 256MB, 1GB or 0 to keep no records`);
  return Math.floor(Number(m[1]) * unit);
}
