import { InvalidParameterError } from './errors.js';

/**
 * Podman's --health-on-failure, carried as a label: the docker CLI and compose cannot send the
 * flag, and one label serves `berth run --health-on-failure` and `docker run -l …` alike.
 */
export const HEALTH_ON_FAILURE_LABEL = 'berth.health-on-failure';

export const HEALTH_ON_FAILURE_ACTIONS = ['none', 'kill', 'restart', 'stop'] as const;
export type HealthOnFailure = (typeof HEALTH_ON_FAILURE_ACTIONS)[number];

/** The action a container's labels ask for when it turns unhealthy; `none` when unset. */
export function healthOnFailure(labels: Record<string, string> | null | undefined): HealthOnFailure {
  const value = labels?.[HEALTH_ON_FAILURE_LABEL];
  if (value === undefined || value === '') return 'none';
  if (!(HEALTH_ON_FAILURE_ACTIONS as readonly string[]).includes(value)) {
    throw new InvalidParameterError(
      `invalid --health-on-failure (label ${HEALTH_ON_FAILURE_LABEL}) '${value}': use one of ${HEALTH_ON_FAILURE_ACTIONS.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return value as HealthOnFailure;
}
