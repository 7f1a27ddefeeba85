import { SystemError, errorMessage, isBerthError, type BerthError } from '../../core/errors.js';

/** Keeps typed errors as they are and turns any other failure (fs, tools) into a SystemError. */
export function asBerthError(action: string, err: unknown): BerthError {
  if (isBerthError(err)) return err;
  return new SystemError(`${action}: ${errorMessage(err)}`, { cause: err });
}
