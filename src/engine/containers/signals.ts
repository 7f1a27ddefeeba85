import { constants } from 'node:os';
import { InvalidParameterError } from '../../core/errors.js';

/** `TERM`, `SIGTERM`, `15` → the runtime's signal name (`TERM`); unknown names are a 400 as in docker. */
export function parseSignal(input: string): string {
  const s = input.trim().toUpperCase();
  const signals = constants.signals as Record<string, number>;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(signals).find((k) => signals[k] === n);
    if (!name || n === 0) throw new InvalidParameterError(`Invalid signal: ${input}`);
    return name.slice(3);
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (!(name in signals)) throw new InvalidParameterError(`Invalid signal: ${input}`);
  return name.slice(3);
}
