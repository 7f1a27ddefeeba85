/**
 * The web dashboard berthd serves with `--ui HOST:PORT`: static files built from ui/ (no CDN,
 * nothing fetched from elsewhere), the Engine API's own routes under `/api/` (read-only, plus
 * start, stop, restart and remove of a container), and live feeds under `/sse/`. Every request
 * needs the login token: `?token=` once (which sets an HttpOnly, SameSite=Strict cookie and
 * redirects to the URL without it), the cookie after that, or `Authorization: Bearer`. The
 * dashboard gives nothing the socket does not: it calls the same routes and services.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { http } from '../../core/node-builtins.js';
import { errorMessage, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createApiServer } from '../server.js';
import type { Route } from '../route.js';
import { statusForError } from '../errors.js';
import { sendJson, sendText } from '../http-context.js';
import { containersFeed, eventsFeed, logsFeed, statsFeed, type FeedServices } from './live-feeds.js';
import { tokenMatches } from './ui-token.js';

export const COOKIE = 'berth_ui';

/**
 * Scripts, styles, images and connections from this origin only: no inline script, no eval, no
 * third party; the page may not be framed (clickjacking of the stop button) nor post elsewhere.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

/** The built files (dist/ui), read once: a few hundred KiB, served from memory. */
async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const out = new Map<string, Asset>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const type = TYPES[extname(name)];
    if (!type || name.endsWith('.map')) continue;
    const body = await readFile(join(dir, name));
    out.set(`/${name}`, { type, body, gzip: gzipSync(body) });
  }
  return out;
}

/** Engine API calls the dashboard may make besides GET: the actions its buttons offer. */
const ACTIONS: Array<[string, RegExp]> = [
  ['POST', /^\/containers\/[^/]+\/(start|stop|restart)$/],
  ['DELETE', /^\/containers\/[^/]+$/],
];

function allowedApiCall(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return !/\/attach\/ws$/.test(path);
  return ACTIONS.some(([m, re]) => m === method && re.test(path));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface DashboardOptions {
  token: string;
  /** The built UI (dist/ui). */
  assetsDir: string;
  /** The Engine API's routes, as the socket serves them. */
  routes: Route[];
  services: FeedServices;
  log: Logger;
  /** Served over TLS: the cookie is marked Secure. */
  secure: boolean;
}

export async function createDashboardServer(opts: DashboardOptions): Promise<Server> {
  const assets = await loadAssets(opts.assetsDir);
  if (!assets.has('/index.html')) opts.log.warn({ dir: opts.assetsDir }, 'the dashboard files are missing (npm run build makes them): the dashboard answers 404');
  const api = createApiServer({ routes: opts.routes, log: opts.log, serverName: 'Berth/0.1.0 (linux)' });

  const securityHeaders = (res: ServerResponse): void => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };

  const authorized = (req: IncomingMessage, url: URL, res: ServerResponse): 'ok' | 'redirected' | 'refused' => {
    const given = url.searchParams.get('token');
    if (given !== null && tokenMatches(given, opts.token)) {
      res.setHeader('Set-Cookie', `${COOKIE}=${opts.token}; Path=/; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`);
      if (req.method === 'GET' && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/sse/')) {
        // The token leaves the address bar (and the history) at once.
        url.searchParams.delete('token');
        res.writeHead(303, { Location: url.pathname + url.search });
        res.end();
        return 'redirected';
      }
      return 'ok';
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return tokenMatches(cookieValue(req.headers.cookie, COOKIE), opts.token) || tokenMatches(bearer, opts.token) ? 'ok' : 'refused';
  };

  const serveAsset = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    // Every page of the single-page app is index.html; the app reads the path.
    const asset = assets.get(path) ?? (extname(path) === '' ? assets.get('/index.html') : undefined);
    if (!asset) return sendText(res, 404, 'not found\n');
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gz ? asset.gzip : asset.body;
    res.writeHead(200, {
      'Content-Type': asset.type,
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      Vary: 'Accept-Encoding',
      ...(gz ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const feed = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const [, , name, id] = url.pathname.split('/').map(decodeURIComponent);
    if (req.method !== 'GET') throw new NotFoundError('page not found');
    if (name === 'containers' && id === undefined) return containersFeed(res, opts.services);
    if (name === 'events' && id === undefined) return eventsFeed(res, opts.services);
    if (name === 'stats' && id) return statsFeed(res, opts.services, id);
    if (name === 'logs' && id) return logsFeed(res, opts.services, id, Math.min(Number(url.searchParams.get('tail') ?? 500) || 500, 5000));
    throw new NotFoundError(`no feed ${url.pathname}`);
  };

  return http().createServer((req, res) => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://berth');
    const auth = authorized(req, url, res);
    if (auth === 'redirected') return;
    if (auth === 'refused') {
      res.setHeader('Cache-Control', 'no-store');
      return sendText(res, 401, 'Unauthorized: open the URL that `berth ui` prints (it carries the login token).\n');
    }
    if (url.pathname.startsWith('/api/')) {
      const method = req.method ?? 'GET';
      const path = url.pathname.slice('/api'.length);
      if (!allowedApiCall(method, path)) return sendJson(res, 403, { message: `the dashboard does not offer ${method} ${path}: use the berth CLI` });
      // A cross-site form or script cannot set this header without a CORS preflight, which this server never grants.
      if (method !== 'GET' && method !== 'HEAD' && req.headers['x-berth-ui'] !== '1') return sendJson(res, 403, { message: 'missing X-Berth-UI header' });
      res.setHeader('Cache-Control', 'no-store');
      url.searchParams.delete('token');
      req.url = path + url.search;
      api.emit('request', req, res);
      return;
    }
    if (url.pathname.startsWith('/sse/')) {
      feed(req, res, url).catch((err: unknown) => {
        if (res.headersSent) return void res.end();
        sendJson(res, statusForError(err), { message: errorMessage(err) });
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
    if (url.pathname === '/dash/daemon') {
      // The system page's daemon facts, which no Engine API route has.
      res.setHeader('Cache-Control', 'no-store');
      const m = process.memoryUsage();
      return sendJson(res, 200, { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, uptime: process.uptime(), pid: process.pid, samplers: opts.services.containers.sampler.active });
    }
    serveAsset(req, res, url.pathname === '/' ? '/index.html' : url.pathname);
  });
}
