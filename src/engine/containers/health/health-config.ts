import { InvalidParameterError } from '../../../core/errors.js';
import type { HealthConfig } from '../../../oci/image-types.js';

export type { HealthConfig };

/** docker's defaults (daemon/health.go). */
export const HEALTH_DEFAULTS = { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 } as const;

function duration(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidParameterError(`${name} in Healthcheck must be an integer number of nanoseconds`);
  if (v !== 0 && v < 1e6) throw new InvalidParameterError(`${name} in Healthcheck cannot be less than 1ms`);
  return v;
}

/**
 * The container's Healthcheck: the request's fields over the image's (docker's merge: each
 * field unset in the request comes from the image), checked as dockerd checks it.
 */
export function resolveHealthcheck(request: unknown, image: HealthConfig | undefined): { Healthcheck?: HealthConfig } {
  if (request !== undefined && request !== null && (typeof request !== 'object' || Array.isArray(request))) throw new InvalidParameterError('Healthcheck must be an object');
  const req = (request ?? undefined) as Record<string, unknown> | undefined;
  if (!req && !image) return {};
  const test = req?.Test;
  if (test !== undefined && test !== null && (!Array.isArray(test) || test.some((x) => typeof x !== 'string'))) throw new InvalidParameterError('Healthcheck.Test must be a list of strings');
  const merged: HealthConfig = {
    Test: Array.isArray(test) && test.length > 0 ? (test as string[]) : (image?.Test ?? []),
    Interval: duration(req?.Interval, 'Interval') || (image?.Interval ?? 0),
    Timeout: duration(req?.Timeout, 'Timeout') || (image?.Timeout ?? 0),
    StartPeriod: duration(req?.StartPeriod, 'StartPeriod') || (image?.StartPeriod ?? 0),
    StartInterval: duration(req?.StartInterval, 'StartInterval') || (image?.StartInterval ?? 0),
    Retries: 0,
  };
  const retries = req?.Retries ?? 0;
  if (typeof retries !== 'number' || !Number.isInteger(retries)) throw new InvalidParameterError('Retries in Healthcheck must be an integer');
  if (retries < 0) throw new InvalidParameterError('Retries in Healthcheck cannot be negative');
  merged.Retries = retries || (image?.Retries ?? 0);
  const kind = merged.Test?.[0];
  if (kind !== undefined && !['NONE', 'CMD', 'CMD-SHELL'].includes(kind)) throw new InvalidParameterError(`unknown Healthcheck type '${kind}': use NONE, CMD or CMD-SHELL`);
  return { Healthcheck: merged };
}

/** The probe's argv, or undefined when the container has no (or a disabled) health check. */
export function probeCommand(h: HealthConfig | undefined): string[] | undefined {
  const test = h?.Test ?? [];
  if (test[0] === 'CMD' && test.length > 1) return test.slice(1);
  if (test[0] === 'CMD-SHELL' && test.length > 1) return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return undefined;
}
