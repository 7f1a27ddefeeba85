import { InvalidParameterError } from '../../core/errors.js';
import type { RestartPolicy } from '../../api/types/container.js';


const NAMES = ['no', 'always', 'unless-stopped', 'on-failure'];

/** HostConfig.RestartPolicy checked with dockerd's rules and messages. */
export function validateRestartPolicy(value: unknown, autoRemove: boolean): RestartPolicy {
  if (value === undefined || value === null) return { Name: 'no', MaximumRetryCount: 0 };
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidParameterError('invalid restart policy: must be an object');
  const v = value as { Name?: unknown; MaximumRetryCount?: unknown };
  const name = v.Name === undefined || v.Name === null || v.Name === '' ? 'no' : v.Name;
  if (typeof name !== 'string' || !NAMES.includes(name)) {
    throw new InvalidParameterError(`invalid restart policy: unknown policy '${String(name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  const max = v.MaximumRetryCount === undefined || v.MaximumRetryCount === null ? 0 : v.MaximumRetryCount;
  if (typeof max !== 'number' || !Number.isInteger(max)) throw new InvalidParameterError('invalid restart policy: maximum retry count must be an integer');
  if (max < 0) throw new InvalidParameterError('invalid restart policy: maximum retry count cannot be negative');
  if (max !== 0 && name !== 'on-failure') throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (autoRemove && name !== 'no') throw new InvalidParameterError(`can't create 'AutoRemove' container with restart policy`);
  return { Name: name, MaximumRetryCount: max };
}

/**
 * moby's restartmanager.ShouldRestart: whether an exit leads to a restart. A container stopped
 * or killed by its user is not restarted (until the daemon starts again, for `always`).
 */
export function shouldRestart(p: RestartPolicy, exitCode: number, manuallyStopped: boolean, restartCount: number): boolean {
  switch (p.Name) {
    case 'always':
      return !manuallyStopped;
    case 'unless-stopped':
      return !manuallyStopped;
    case 'on-failure':
      return !manuallyStopped && exitCode !== 0 && (p.MaximumRetryCount === 0 || restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** At daemon start: `always` comes back even after a manual stop, `unless-stopped` only if not. */
export function restartsOnBoot(p: RestartPolicy, exitCode: number, manuallyStopped: boolean, restartCount: number): boolean {
  if (p.Name === 'always') return true;
  return shouldRestart(p, exitCode, manuallyStopped, restartCount);
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long resets the back-off. */
const RESET_AFTER_MS = 10_000;

/** docker's back-off: 100 ms, doubling on each quick failure, at most a minute. */
export function nextRestartDelay(previousMs: number, ranMs: number): number {
  if (ranMs >= RESET_AFTER_MS || previousMs <= 0) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}
