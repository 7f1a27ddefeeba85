/** CRI timestamps: nanoseconds since the epoch, int64 on the wire (decimal strings here: they pass 2^53). */
import { ZERO_TIME } from '../containers/container-types.js';

/** Now, with the nanoseconds hrtime adds to the millisecond clock. */
export function nowNs(): string {
  const ms = BigInt(Date.now());
  return (ms * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString();
}

/** An RFC 3339 time with up to 9 fraction digits (the engine's records), as nanoseconds; 0 for docker's zero time. */
export function isoToNs(iso: string | undefined): string {
  if (!iso || iso === ZERO_TIME) return '0';
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return '0';
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return '0';
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return (BigInt(seconds) * 1_000_000n + frac).toString();
}
