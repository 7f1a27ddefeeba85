import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidParameterError } from '../core/errors.js';

export const JSON_TYPE = 'application/json';

/** One API request as handlers see it: params from the path, query, version, body helpers. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** API version the client asked for (from the path prefix), e.g. 1.50. */
  apiVersion: number;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body) + '\n';
  // The docker CLI only parses error bodies whose Content-Type is exactly application/json.
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const MAX_JSON_BODY = 16 * 1024 * 1024;
const JSON_BODY_TIMEOUT_MS = 30_000;

/** Reads a JSON request body; an empty body is `undefined`, malformed JSON a 400. */
export async function readJsonBody<T>(req: IncomingMessage): Promise<T | undefined> {
  const declared = Number(req.headers?.['content-length'] ?? 0);
  if (declared > MAX_JSON_BODY) throw new InvalidParameterError(`request body is larger than ${MAX_JSON_BODY} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  // A client that dribbles its body must not hold a request (and its memory) open forever.
  const timer = setTimeout(() => req.destroy(new InvalidParameterError(`request body not received within ${JSON_BODY_TIMEOUT_MS / 1000} s`)), JSON_BODY_TIMEOUT_MS);
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_JSON_BODY) throw new InvalidParameterError(`request body is larger than ${MAX_JSON_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InvalidParameterError(`invalid JSON in request body: ${(err as Error).message}`, { cause: err });
  }
}

/** docker's query booleans: `1`, `true`, `True`… are true; absent, `0`, `false` are false. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  const lower = v.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  throw new InvalidParameterError(`invalid boolean value "${v}" for query parameter "${name}"`);
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidParameterError(`invalid integer value "${v}" for query parameter "${name}"`);
  return n;
}

/**
 * docker's `filters` query parameter: `{"key":{"value":true}}` (or the legacy `{"key":["value"]}`),
 * decoded to key → values.
 */
export function queryFilters(query: URLSearchParams): Record<string, string[]> {
  const raw = query.get('filters');
  if (raw === null || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid filter: the filters parameter is not valid JSON: ${raw}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidParameterError('invalid filter: expected a JSON object');
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (value && typeof value === 'object') out[key] = Object.entries(value).filter(([, on]) => on === true).map(([v]) => v);
    else throw new InvalidParameterError(`invalid filter '${key}': expected a map of values`);
  }
  return out;
}
