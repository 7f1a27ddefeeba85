import { InvalidParameterError } from '../../core/errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A tmpfs size (`64m`, `1g`, `1048576`) in bytes, as docker's RAMInBytes reads it. */
export function parseHumanSize(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(value);
  if (!m) throw new InvalidParameterError(`invalid tmpfs option ["${option}"]: invalid size: '${value}'`);
  return Math.floor(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}
