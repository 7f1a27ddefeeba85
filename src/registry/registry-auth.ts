import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { errnoCode, InvalidParameterError } from '../core/errors.js';
import { RegistryError } from './registry-errors.js';
import { isoTime } from '../core/utc-time.js';

export type AuthMode = 'none' | 'basic' | 'token';
export type Action = 'pull' | 'push' | 'delete' | '*';

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export const TOKEN_SERVICE = 'berth-registry';
const TOKEN_TTL_S = 300;

/** `htpasswd -B` files: `user:$2y$…` bcrypt lines. Other hash kinds are refused when read. */
export async function readHtpasswd(path: string): Promise<Map<string, string>> {
  const users = new Map<string, string>();
  const text = await readFile(path, 'utf8');
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !/^\$2[aby]\$/.test(hash)) {
      throw new InvalidParameterError(`${path}:${i + 1}: only bcrypt entries are supported (make them with "htpasswd -B")`);
    }
    users.set(line.slice(0, colon), hash.replace(/^\$2y\$/, '$2a$'));
  }
  return users;
}

/**
 * Who may do what. Signed-in users may pull and push every repository; anonymous clients may
 * pull the repositories matching a public pattern (and everything when auth is off). Basic auth
 * checks each request; token auth hands out short-lived HMAC-signed tokens whose scopes are the
 * requested actions the account is allowed, and each request must carry a token covering it.
 */
export class RegistryAuth {
  private readonly verified = new Map<string, string>();

  private constructor(
    readonly mode: AuthMode,
    private readonly users: Map<string, string>,
    private readonly publicPatterns: RegExp[],
    private readonly key: Buffer,
  ) {}

  static async create(mode: AuthMode, htpasswd: string | undefined, publicRepos: string[], root: string): Promise<RegistryAuth> {
    const users = htpasswd ? await readHtpasswd(htpasswd) : new Map<string, string>();
    const patterns = publicRepos.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
    return new RegistryAuth(mode, users, patterns, mode === 'token' ? await tokenKey(root) : Buffer.alloc(0));
  }

  allowedActions(user: string | undefined, name: string): Action[] {
    if (this.mode === 'none' || user !== undefined) return ['pull', 'push', 'delete'];
    return this.publicPatterns.some((p) => p.test(name)) ? ['pull'] : [];
  }

  /** The account of a request's Basic credentials: undefined without any, 401 when they are wrong. */
  async basicUser(req: IncomingMessage): Promise<string | undefined> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const key = createHash('sha256').update(decoded).digest('hex');
    // bcrypt costs ~70 ms by design; a pull makes dozens of requests with the same credentials.
    if (colon > 0 && hash !== undefined && (this.verified.get(key) === user || (await bcrypt.compare(password, hash)))) {
      this.verified.set(key, user);
      return user;
    }
    throw new RegistryError('UNAUTHORIZED', 'authentication required: incorrect username or password', undefined, 401, this.challenge(req));
  }

  /** `/v2/`: answers 401 with the challenge unless the request carries valid credentials or a valid token. */
  async checkSignedIn(req: IncomingMessage): Promise<void> {
    if (this.mode === 'none') return;
    if (this.mode === 'basic' && (await this.basicUser(req)) !== undefined) return;
    const header = req.headers.authorization;
    if (this.mode === 'token' && header?.startsWith('Bearer ') && this.verifyToken(header.slice(7))) return;
    throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, this.challenge(req));
  }

  /** Throws 401 (with the challenge) or 403 unless the request may do `action` on `name` (undefined: the catalog). */
  async authorize(req: IncomingMessage, name: string | undefined, action: Action): Promise<void> {
    if (this.mode === 'none') return;
    if (this.mode === 'basic') {
      const user = await this.basicUser(req);
      if (name !== undefined && this.allowedActions(user, name).includes(action)) return;
      if (name === undefined && user !== undefined) return;
      if (user === undefined) throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, this.challenge(req));
      throw new RegistryError('DENIED', `requested access to ${name ?? 'the catalog'} is denied`);
    }
    const scope = name === undefined ? 'registry:catalog:*' : `repository:${name}:${action}`;
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      if (name !== undefined && this.allowedActions(undefined, name).includes(action)) return;
      throw new RegistryError('UNAUTHORIZED', 'authentication required', [{ Type: 'repository', Name: name, Action: action }], 401, this.challenge(req, scope));
    }
    const access = this.verifyToken(header.slice(7));
    const ok = access?.some((a) => (name === undefined ? a.type === 'registry' && a.name === 'catalog' : a.type === 'repository' && a.name === name) && (a.actions.includes(action) || a.actions.includes('*')));
    if (!ok) {
      throw new RegistryError('UNAUTHORIZED', access ? `insufficient scope: the token does not allow ${action} on ${name ?? 'the catalog'}` : 'invalid or expired token', undefined, 401, this.challenge(req, scope, access ? 'insufficient_scope' : 'invalid_token'));
    }
  }

  challenge(req: IncomingMessage, scope?: string, error?: string): Record<string, string> {
    if (this.mode === 'basic') return { 'WWW-Authenticate': `Basic realm="${TOKEN_SERVICE}"` };
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const parts = [`realm="${proto}://${req.headers.host ?? 'localhost'}/token"`, `service="${TOKEN_SERVICE}"`];
    if (scope) parts.push(`scope="${scope}"`);
    if (error) parts.push(`error="${error}"`);
    return { 'WWW-Authenticate': `Bearer ${parts.join(',')}` };
  }

  /** The token endpoint (docker's "token authentication specification"). */
  async issueToken(req: IncomingMessage, query: URLSearchParams): Promise<object> {
    if (this.mode !== 'token') throw new RegistryError('UNSUPPORTED', 'this registry does not issue tokens', undefined, 404);
    const user = await this.basicUser(req);
    const access: AccessEntry[] = [];
    for (const scope of query.getAll('scope').flatMap((s) => s.split(' '))) {
      const m = /^(repository|registry):([^:]+(?::\d+)?[^:]*):([a-z*,]+)$/.exec(scope);
      if (!m) continue;
      const [, type, name, actions] = m as unknown as [string, string, string, string];
      if (type === 'registry') {
        if (name === 'catalog' && user !== undefined) access.push({ type, name, actions: ['*'] });
        continue;
      }
      const allowed = this.allowedActions(user, name);
      const granted = actions.split(',').filter((a) => allowed.includes(a as Action));
      access.push({ type, name, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: TOKEN_SERVICE, sub: user ?? '', aud: query.get('service') ?? TOKEN_SERVICE, iat: now, exp: now + TOKEN_TTL_S, access };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const token = `${body}.${createHmac('sha256', this.key).update(body).digest('base64url')}`;
    return { token, access_token: token, expires_in: TOKEN_TTL_S, issued_at: isoTime(now * 1000) };
  }

  private verifyToken(token: string): AccessEntry[] | undefined {
    const [body, sig] = token.split('.');
    if (!body || !sig) return undefined;
    const want = createHmac('sha256', this.key).update(body).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { exp: number; access: AccessEntry[] };
      if (payload.exp < Date.now() / 1000) return undefined;
      return payload.access;
    } catch {
      return undefined;
    }
  }
}

/** The signing key survives restarts (tokens stay valid), 0600 in the registry's root. */
async function tokenKey(root: string): Promise<Buffer> {
  const path = join(root, 'token.key');
  try {
    return await readFile(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await mkdir(root, { recursive: true });
  await writeFile(path, key, { mode: 0o600 });
  return key;
}
