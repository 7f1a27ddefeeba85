import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestContext } from './http-context.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** Context of a hijacked (Upgrade: tcp) request: the raw socket, its body, and stream bytes read past it. */
export interface HijackContext {
  req: IncomingMessage;
  socket: Duplex;
  /** The request body (Content-Length bytes), read in full before the handler runs. */
  body: Buffer;
  /** Bytes the client sent after the body: already stream data (stdin). */
  head: Buffer;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: number;
}

export interface Route {
  method: HttpMethod;
  /** A pattern for api/router.ts, e.g. `/containers/:id/json` or `/images/*`, without the version prefix. */
  path: string;
  handler: (ctx: RequestContext) => Promise<void>;
  /** For attach and exec start: called instead of `handler` when the client asks to upgrade. */
  hijack?: (ctx: HijackContext) => Promise<void>;
  /**
   * Berth's own routes (`/berth/v1/…`, in no swagger): what the route answers and which CLI
   * command asks, for docs/api-coverage.md. A unit test requires one on each.
   */
  summary?: string;
  /** How completely this route serves a swagger endpoint, for docs/api-coverage.md. Default: done. */
  coverage?: (method: string, swaggerPath: string) => { state: 'done' | 'partial' | 'not yet'; note?: string };
}
