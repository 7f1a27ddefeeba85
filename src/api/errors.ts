import { isBerthError, type ErrorKind } from '../core/errors.js';

/** The one place where typed errors become HTTP status codes (moby's httpstatus does the same). */
const STATUS: Record<ErrorKind, number> = {
  'invalid-parameter': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  system: 500,
};

export function statusForError(err: unknown): number {
  if (isBerthError(err)) return STATUS[err.kind];
  if (err instanceof SyntaxError) return 400;
  return 500;
}

/** Errors a client caused are not bugs; everything else is logged as one. */
export function isServerFault(status: number): boolean {
  return status >= 500 && status !== 501 && status !== 503;
}
