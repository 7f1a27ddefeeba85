import { errorMessage, InvalidParameterError, isBerthError } from '../../../core/errors.js';

/** Prefix of every error blamed on the archive a user sent. */
export const INVALID_ARCHIVE = 'invalid archive:';

export function invalidArchive(message: string, cause?: unknown): InvalidParameterError {
  return new InvalidParameterError(`${INVALID_ARCHIVE} ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Classifies a failure while reading an archive. Parser errors (the tar reader, zlib, JSON, a layer
 * that does not match its diff ID) come from the user's bytes: InvalidParameter. Host failures
 * (they carry a `syscall`), our own typed errors and programming errors keep their kind.
 */
export function archiveError(err: unknown): unknown {
  if (isBerthError(err)) {
    if (err instanceof InvalidParameterError && !err.message.startsWith(INVALID_ARCHIVE)) return invalidArchive(err.message, err);
    return err;
  }
  if (!(err instanceof Error)) return invalidArchive(String(err), err);
  if ('syscall' in err || err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) return err;
  // Some parsers' wording for input cut short; the tar reader and zlib say "unexpected end of file".
  if (/unexpected end of data/i.test(err.message)) return invalidArchive('unexpected end of file', err);
  return invalidArchive(errorMessage(err), err);
}
