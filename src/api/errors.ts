import { isBerthError, type ErrorKind } from '../core/errors.js';

/** The one place where typed errors become HTTP status codes (moby's httpstatus does the same). */
export const ERROR_HTTP_STATUS: Record<ErrorKind, number> = {
  'invalid-parameter': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  timeout: 504,
  system: 500,
};

export function statusForError(err: unknown): number {
  if (isBerthError(err)) return ERROR_HTTP_STATUS[err.kind];
  if (err instanceof SyntaxError) return 400;
  return 500;
}

/** Errors a client caused are not bugs; everything else is logged as one. */
export function isServerFault(status: number): boolean {
  return status >= 500 && status !== 501 && status !== 503;
}

/** The same kinds as gRPC status codes, for the BuildKit API (a process that failed stays UNKNOWN, as in BuildKit). */
export const ERROR_GRPC_CODES: Record<ErrorKind, number> = {
  'invalid-parameter': 3,
  unauthorized: 16,
  forbidden: 7,
  'not-found': 5,
  conflict: 9,
  'not-modified': 9,
  'not-implemented': 12,
  unavailable: 14,
  timeout: 4,
  system: 13,
};

export function grpcCodeForError(err: unknown): number {
  return isBerthError(err) ? ERROR_GRPC_CODES[err.kind] : 2;
}
