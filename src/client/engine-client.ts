import type { IncomingMessage, RequestOptions } from 'node:http';
import { http } from '../core/node-builtins.js';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import { connectSocket, daemonMessage, hasBody, readBody, readHead, writeRequest, type ResponseHead } from './plain-http.js';

/** The newest API version this client speaks (it uses the daemon's when that is older). */
export const CLIENT_API_VERSION = '1.50';

/** A non-2xx answer: `status` is the HTTP status, `message` the daemon's own message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all (docker: "Cannot connect to the Docker daemon"). */
export class ConnectionError extends Error {
  constructor(readonly socketPath: string, cause: unknown) {
    super(`Cannot connect to the Berth daemon at unix://${socketPath}. Is the berth daemon running?`, { cause });
    this.name = 'ConnectionError';
  }
}

/** A failed connect as the CLI reports it: no daemon there (or no right to its socket) is a ConnectionError. */
export function connectError(socketPath: string, err: NodeJS.ErrnoException): Error {
  return err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES' ? new ConnectionError(socketPath, err) : err;
}

/** A 2xx (or 304) answer whose body is read whole, from `EngineClient.buffered`. */
export interface BufferedResponse {
  status: number;
  /** Lower-cased names. */
  headers: Map<string, string>;
  /** The body, read once asked for; rejects if the connection ends before it is complete. */
  body(): Promise<Buffer>;
  /** Hangs up (a pending body() rejects). */
  close(): void;
}

/** Query parameters; arrays repeat the key, booleans become 1/0, undefined is left out. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** One API request: path without the version prefix (the client adds the negotiated one). */
export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  /** A raw body (tar upload); sent with chunked encoding. */
  stream?: Readable;
  headers?: Record<string, string>;
}

/**
 * Resolves the daemon socket: `-H`, then BERTH_HOST, then DOCKER_HOST, then the default: the
 * system daemon's for root, the user's own rootless daemon's (in XDG_RUNTIME_DIR) for anyone else.
 */
export function resolveSocketPath(host?: string): string {
  const h = host ?? process.env.BERTH_HOST ?? process.env.DOCKER_HOST ?? defaultHost(process.getuid?.() ?? 0, process.env.XDG_RUNTIME_DIR);
  if (!h.startsWith('unix://')) throw new Error(`unsupported host "${h}": berth connects to unix:///path sockets`);
  return h.slice('unix://'.length);
}

/** Where a daemon listens unless told otherwise; rootless when the user is not root (issue 23). */
export function defaultHost(uid: number, runtimeDir: string | undefined): string {
  if (uid === 0 || runtimeDir === undefined || runtimeDir === '') return 'unix:///run/berth/berth.sock';
  return `unix://${runtimeDir.replace(/\/$/, '')}/berth/berth.sock`;
}

/** `?a=1&b=x` from a Query, as the daemon reads it (docker's bool and list conventions). */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else if (typeof v === 'boolean') params.set(k, v ? '1' : '0');
    else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** A typed Engine API client over a Unix socket; the berth CLI and programs use it alike. */
export class EngineClient {
  private version: string | undefined;

  /**
   * `version` pins the API version, as docker's DOCKER_API_VERSION does: every request uses it
   * and none negotiates (no `HEAD /_ping` first).
   */
  constructor(
    readonly socketPath: string,
    version?: string,
  ) {
    // docker's client takes "v1.41" too.
    const pinned = version?.replace(/^v/, '');
    if (pinned !== undefined && pinned !== '') {
      if (!/^1\.\d{1,3}$/.test(pinned)) throw new Error(`API version ${JSON.stringify(version)} (DOCKER_API_VERSION) is not one: give it as MAJOR.MINOR, like ${CLIENT_API_VERSION}`);
      this.version = pinned;
    }
  }

  /** Negotiates the API version once, as the docker CLI does with `HEAD /_ping`. */
  async apiVersion(): Promise<string> {
    if (this.version) return this.version;
    const res = await this.buffered({ method: 'HEAD', path: '/_ping' }, false);
    res.close();
    const server = res.headers.get('api-version');
    const v = typeof server === 'string' && compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
    this.version = v;
    return v;
  }

  /**
   * Sends a request without a stream body over a plain socket (plain-http.ts: no node:http);
   * a non-2xx answer becomes an ApiError carrying the daemon's message. Resolves once the head
   * is in: the body is read when asked for (a wait's comes when the container exits).
   */
  async buffered(spec: Omit<RequestSpec, 'stream'>, versioned = true): Promise<BufferedResponse> {
    const path = `${versioned ? `/v${await this.apiVersion()}` : ''}${spec.path}${buildQuery(spec.query)}`;
    const headers: Record<string, string> = { ...(spec.headers ?? {}), Connection: 'close' };
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    if (payload) headers['Content-Type'] = 'application/json';
    if (payload || spec.method === 'POST' || spec.method === 'PUT') headers['Content-Length'] = String(payload?.length ?? 0);
    const socket = await connectSocket(this.socketPath, (err) => connectError(this.socketPath, err));
    let head: ResponseHead;
    try {
      writeRequest(socket, spec.method, path, headers, payload);
      head = await readHead(socket);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    const withBody = hasBody(spec.method, head.status);
    let body: Promise<Buffer> | undefined;
    const read = (): Promise<Buffer> => {
      body ??= (withBody ? readBody(socket, head, true) : Promise.resolve(Buffer.alloc(0))).finally(() => socket.destroy());
      return body;
    };
    if ((head.status >= 200 && head.status < 300) || head.status === 304) {
      return { status: head.status, headers: head.headers, body: read, close: () => socket.destroy() };
    }
    throw new ApiError(head.status, daemonMessage(head.headers, head.status, await read()));
  }

  /** Sends a request; a non-2xx answer becomes an ApiError carrying the daemon's message. */
  async raw(spec: RequestSpec, versioned = true): Promise<IncomingMessage> {
    const prefix = versioned ? `/v${await this.apiVersion()}` : '';
    const headers: Record<string, string> = { ...(spec.headers ?? {}) };
    let payload: Buffer | undefined;
    if (spec.body !== undefined) {
      payload = Buffer.from(JSON.stringify(spec.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (spec.stream) {
      headers['Content-Type'] ??= 'application/x-tar';
    }
    // A connection of its own, not the global agent's: the agent works out a TLS server name
    // for every request, and telling that `localhost` is no IPv6 address compiles node's IPv6
    // pattern, 3 ms of every CLI command; a Unix socket costs next to nothing to connect.
    const options: RequestOptions = { createConnection: () => connect(this.socketPath), method: spec.method, path: prefix + spec.path + buildQuery(spec.query), headers };
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = http().request(options, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(connectError(this.socketPath, err));
      });
      if (spec.stream) {
        spec.stream.on('error', (err) => req.destroy(err));
        spec.stream.pipe(req);
      } else req.end(payload);
    });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    if (status === 304) return res;
    const text = (await readAll(res)).toString('utf8');
    let message = text.trim();
    if ((res.headers['content-type'] ?? '') === 'application/json') {
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        /* keep the raw text, as the docker CLI does */
      }
    }
    throw new ApiError(status, message || `status ${status}`);
  }

  /** Sends a request and parses the JSON answer (undefined for an empty body). */
  async json<T>(spec: RequestSpec): Promise<T> {
    const text = (spec.stream ? await readAll(await this.raw(spec)) : await (await this.buffered(spec)).body()).toString('utf8');
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request whose answer has no body worth reading (start, stop, kill...); returns the status. */
  async noContent(spec: RequestSpec): Promise<number> {
    if (spec.stream) {
      const res = await this.raw(spec);
      await readAll(res);
      return res.statusCode ?? 0;
    }
    const res = await this.buffered(spec);
    await res.body();
    return res.status;
  }

  /** A JSON-lines progress stream: each message goes to `onMessage`; an in-band error throws. */
  async jsonLines(spec: RequestSpec, onMessage: (m: JsonMessage) => void): Promise<void> {
    const res = await this.raw(spec);
    let failure: string | undefined;
    for await (const m of jsonLinesOf<JsonMessage>(res)) {
      if (m.errorDetail || m.error) failure ??= m.errorDetail?.message ?? m.error ?? 'unknown error';
      else onMessage(m);
    }
    if (failure !== undefined) throw new ApiError(500, failure);
  }
}

/** One line of a progress stream (load, import, pull, build), docker's `jsonmessage`. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { code?: number; message: string };
}

/** Each non-empty line of a JSON-lines stream (events, progress), parsed. */
export async function* jsonLinesOf<T>(stream: Readable): AsyncGenerator<T> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += (chunk as Buffer).toString('utf8');
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') yield JSON.parse(line) as T;
    }
  }
  if (buffered.trim() !== '') yield JSON.parse(buffered) as T;
}

/** Reads a response (or any stream) to its end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Orders API versions ("1.41" < "1.50"): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}
