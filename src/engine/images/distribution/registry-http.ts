import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { http, https } from '../../../core/node-builtins.js';
import type { Readable } from 'node:stream';
import { ForbiddenError, InvalidParameterError, NotFoundError, UnauthorizedError, UnavailableError } from '../../../core/errors.js';
import { isInsecure, type RegistrySettings } from './registry-hosts.js';

/** What a client presents: docker's AuthConfig (X-Registry-Auth, /auth). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

export interface RequestOptions {
  headers?: OutgoingHttpHeaders;
  /** A buffer can be sent again after an auth challenge; a stream cannot, so prime auth first. */
  body?: Buffer | Readable;
  /** Token scope this request needs, e.g. `repository:x:pull`. */
  scope?: string;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (several challenges may be listed). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(Basic|Bearer)\b(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return { scheme: m[1]!.toLowerCase() as 'basic' | 'bearer', params };
}

/**
 * HTTP to one registry host, with docker's auth dance: a request answered 401 is retried once
 * with what the challenge asks for — Basic credentials, or a bearer token fetched from the
 * challenge's realm with the credentials. Credentials go only to this registry and to the realm
 * it named; a redirect elsewhere (blob storage) never carries them.
 */
export class RegistryHttp {
  private base: string | undefined;
  private readonly tokens = new Map<string, string>();
  private challenge: Challenge | undefined;

  constructor(readonly host: string, private readonly creds: RegistryCredentials | undefined, private readonly settings: RegistrySettings) {}

  get hasCredentials(): boolean {
    return !!(this.creds?.username || this.creds?.registrytoken);
  }

  get insecure(): boolean {
    return isInsecure(this.host, this.settings);
  }

  /** https, or for an insecure registry https then plain http when TLS does not answer (docker's order). */
  async baseUrl(): Promise<string> {
    if (this.base) return this.base;
    const https = `https://${this.host}`;
    if (!this.insecure) return (this.base = https);
    try {
      const res = await this.send('GET', `${https}/v2/`, {});
      res.resume();
      return (this.base = https);
    } catch {
      return (this.base = `http://${this.host}`);
    }
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const url = path.startsWith('http') ? path : `${await this.baseUrl()}${path}`;
    let res = await this.send(method, url, { ...opts, auth: this.authHeader(opts.scope) });
    if (res.statusCode === 401) {
      const challenge = parseChallenge(res.headers['www-authenticate']);
      res.resume();
      if (challenge && this.canRetry(opts)) {
        this.challenge = challenge;
        await this.authenticate(challenge, opts.scope);
        res = await this.send(method, url, { ...opts, auth: this.authHeader(opts.scope) });
      } else {
        return res;
      }
    }
    // Blob storage may redirect (S3 and the like); follow without our credentials.
    for (let hops = 0; hops < 5 && res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location; hops++) {
      const next = new URL(res.headers.location, url).toString();
      res.resume();
      const sameHost = new URL(next).host === new URL(url).host;
      res = await this.send(method === 'HEAD' ? 'HEAD' : 'GET', next, { headers: opts.headers ?? {}, ...(sameHost ? { auth: this.authHeader(opts.scope) } : {}) });
    }
    return res;
  }

  private canRetry(opts: RequestOptions): boolean {
    return opts.body === undefined || Buffer.isBuffer(opts.body);
  }

  private authHeader(scope: string | undefined): string | undefined {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return this.basic();
    return this.tokens.get(scope ?? '') ?? this.tokens.get('') ?? undefined;
  }

  private basic(): string | undefined {
    if (!this.creds?.username) return undefined;
    return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
  }

  private async authenticate(challenge: Challenge, scope: string | undefined): Promise<void> {
    if (challenge.scheme === 'basic') {
      if (!this.creds?.username) throw new UnauthorizedError(`${this.host} requires authentication: log in with "docker login ${this.host}"`);
      return;
    }
    if (this.creds?.registrytoken) {
      this.tokens.set(scope ?? '', `Bearer ${this.creds.registrytoken}`);
      return;
    }
    const realm = challenge.params.realm;
    if (!realm || !/^https?:\/\//.test(realm)) throw new UnauthorizedError(`${this.host} asked for a token from an invalid realm "${realm ?? ''}"`);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    // Several scopes travel as several `scope` parameters (the token spec's form).
    const scopes = new Set([scope, challenge.params.scope].flatMap((s) => (s ? s.split(' ') : [])).filter((s) => s !== ''));
    for (const s of scopes) url.searchParams.append('scope', s);
    if (this.creds?.username) url.searchParams.set('account', this.creds.username);
    const res = await this.send('GET', url.toString(), { auth: this.basic() });
    const body = await readText(res);
    if (res.statusCode === 401 || res.statusCode === 403) throw new UnauthorizedError(`unauthorized: incorrect username or password for ${this.host}`);
    if (res.statusCode !== 200) throw new UnavailableError(`token request to ${url.origin} failed: HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
    const json = JSON.parse(body) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new UnavailableError(`token service ${url.origin} answered without a token`);
    this.tokens.set(scope ?? '', `Bearer ${token}`);
  }

  private send(method: string, url: string, opts: RequestOptions & { auth?: string | undefined }): Promise<IncomingMessage> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const headers: OutgoingHttpHeaders = { 'User-Agent': 'berth/0.1.0', ...(opts.headers ?? {}) };
    if (opts.auth) headers.Authorization = opts.auth;
    if (Buffer.isBuffer(opts.body)) headers['Content-Length'] = opts.body.length;
    return new Promise((resolve, reject) => {
      const req = (secure ? https().request : http().request)(
        u,
        { method, headers, timeout: REQUEST_TIMEOUT_MS, ...(secure ? { rejectUnauthorized: !isInsecure(u.host, this.settings) } : {}) },
        resolve,
      );
      req.on('timeout', () => req.destroy(new UnavailableError(`${method} ${url}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(connectionError(method, url, err)));
      if (opts.body === undefined) req.end();
      else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
      else {
        opts.body.on('error', (err) => req.destroy(err));
        opts.body.pipe(req);
      }
    });
  }
}

function connectionError(method: string, url: string, err: Error): Error {
  if (err instanceof UnavailableError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new UnavailableError(`${method[0]}${method.slice(1).toLowerCase()} "${url}": ${code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message}`);
}

export async function readText(res: IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  return (await readBytes(res, limit)).toString('utf8');
}

export async function readBytes(res: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new InvalidParameterError(`registry response exceeds ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An OCI error body's first message, for errors in docker's `code: message` form. */
export function registryErrorText(status: number | undefined, body: string): string {
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (e) return `${(e.code ?? 'error').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
}

/** Turns a failed registry answer into the typed error the API maps to a status. */
export async function failure(res: IncomingMessage, what: string): Promise<Error> {
  const body = await readText(res).catch(() => '');
  const text = `${what}: ${registryErrorText(res.statusCode, body)}`;
  switch (res.statusCode) {
    case 401:
      return new UnauthorizedError(text);
    case 403:
      return new ForbiddenError(text);
    case 404:
      return new NotFoundError(text);
    case 400:
      return new InvalidParameterError(text);
    default:
      return new UnavailableError(text);
  }
}
