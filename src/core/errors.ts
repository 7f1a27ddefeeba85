/**
 * The typed errors every layer throws. Only api/errors.ts turns them into HTTP status codes;
 * below the API layer nothing knows about HTTP. Identify errors by class or `code`, never by text.
 */
export type ErrorKind =
  | 'invalid-parameter'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'not-modified'
  | 'not-implemented'
  | 'unavailable'
  | 'timeout'
  | 'system';

export abstract class BerthError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidParameterError extends BerthError {
  readonly kind = 'invalid-parameter' as const;
}
export class UnauthorizedError extends BerthError {
  readonly kind = 'unauthorized' as const;
}
export class ForbiddenError extends BerthError {
  readonly kind = 'forbidden' as const;
}
export class NotFoundError extends BerthError {
  readonly kind = 'not-found' as const;
}
export class ConflictError extends BerthError {
  readonly kind = 'conflict' as const;
}
export class NotModifiedError extends BerthError {
  readonly kind = 'not-modified' as const;
}
export class NotImplementedError extends BerthError {
  readonly kind = 'not-implemented' as const;
}
export class UnavailableError extends BerthError {
  readonly kind = 'unavailable' as const;
}
/** Something did not finish within the time the caller gave it (a CRI ExecSync's timeout). */
export class TimeoutError extends BerthError {
  readonly kind = 'timeout' as const;
}
export class SystemError extends BerthError {
  readonly kind = 'system' as const;
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}

/** The message of any thrown value, for logs and wrapped errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node's errno code of a thrown value (ENOENT, EEXIST…), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
