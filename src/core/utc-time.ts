/**
 * Times as text, built from a date's UTC fields. V8's toISOString and toUTCString set up ICU's
 * time zone data on first use, although their results are UTC: 0.9 MiB of resident memory in a
 * daemon that only ever writes UTC (bench/container-run, berthd idle).
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Date.prototype.toISOString's format: `2026-11-28T06:44:27.123Z`. */
export function isoTime(at: number | Date = Date.now()): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  const year = d.getUTCFullYear();
  if (Number.isNaN(year)) throw new RangeError('Invalid time value');
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  return `${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An HTTP Date header (RFC 9110 IMF-fixdate), as toUTCString writes it: `Sat, 28 Nov 2026 06:44:27 GMT`. */
export function httpDate(at: number = Date.now()): string {
  const d = new Date(at);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear(), 4)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}
