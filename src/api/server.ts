import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../core/node-builtins.js';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger.js';
import { errorMessage, NotFoundError } from '../core/errors.js';
import { unimplementedEndpointError } from './unimplemented-endpoint.js';
import { API_VERSION, splitVersion, apiVersionNumber } from './api-version.js';
import { isServerFault, statusForError } from './errors.js';
import { sendJson, type RequestContext } from './http-context.js';
import type { HttpMethod, Route } from './route.js';
import { readUpgradeBody } from './streams/upgrade-body.js';
import { httpDate } from '../core/utc-time.js';
import { routerOf } from './route-table.js';

export interface ApiServerOptions {
  routes: Route[];
  log: Logger;
  serverName: string;
  /** Told when the first request (or hijacked stream) begins and when the last one ends. */
  activity?: { busy(): void; idle(): void };
}

interface Matched {
  route: Route;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: number;
}

/**
 * The Engine API over HTTP/1.1: version prefixes, docker's headers on every response, and the
 * typed-error → status mapping for every route. Handlers only parse and call services.
 */
export function createApiServer(opts: ApiServerOptions): Server {
  const router = routerOf(opts.routes);

  const match = (req: IncomingMessage): Matched => {
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version, path } = splitVersion(url.pathname);
    const method = (req.method ?? 'GET') as HttpMethod;
    const found = router.find(method, path);
    if (!found) throw unimplementedEndpointError(method, path) ?? new NotFoundError(`page not found`);
    return { route: found.value, params: found.params, query: url.searchParams, apiVersion: apiVersionNumber(version) };
  };

  const commonHeaders = (res: ServerResponse): void => {
    // node:http would write its own Date header with toUTCString (see core/utc-time.ts).
    res.sendDate = false;
    res.setHeader('Date', httpDate());
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', opts.serverName);
    res.setHeader('Docker-Experimental', 'false');
  };

  const fail = (res: ServerResponse, err: unknown, req: IncomingMessage): void => {
    const status = statusForError(err);
    if (isServerFault(status)) opts.log.error({ err, method: req.method, url: req.url }, 'request failed');
    else opts.log.debug({ method: req.method, url: req.url, status, msg: errorMessage(err) }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    sendJson(res, status, { message: errorMessage(err) });
  };

  let inFlight = 0;
  const begin = (done: { once(event: 'close', fn: () => void): unknown }): void => {
    if (inFlight++ === 0) opts.activity?.busy();
    done.once('close', () => {
      if (--inFlight === 0) opts.activity?.idle();
    });
  };

  const server = http().createServer(async (req, res) => {
    begin(res);
    commonHeaders(res);
    opts.log.debug({ method: req.method, url: req.url }, 'request');
    try {
      const m = match(req);
      const ctx: RequestContext = { req, res, params: m.params, query: m.query, apiVersion: m.apiVersion };
      await m.route.handler(ctx);
    } catch (err) {
      fail(res, err, req);
    }
  });

  // Upgraded sockets leave node:http's bookkeeping but still count for close(), which would wait
  // for every attach to end (a detached `-it` session may never write again): close them too.
  const hijacked = new Set<Duplex>();
  const closeHttpConnections = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeHttpConnections();
    for (const socket of hijacked) socket.destroy();
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    begin(socket);
    // node:http drops its own error listener from an upgraded socket; a client that resets the
    // connection (closing with our answer unread) must end that stream, not the daemon.
    socket.on('error', () => socket.destroy());
    hijacked.add(socket);
    socket.once('close', () => hijacked.delete(socket));
    void (async () => {
      try {
        const m = match(req);
        if (!m.route.hijack) throw new NotFoundError('this endpoint does not support connection upgrade');
        const { body, rest } = await readUpgradeBody(socket, head, req.headers['content-length']);
        await m.route.hijack({ req, socket, body, head: rest, params: m.params, query: m.query, apiVersion: m.apiVersion });
      } catch (err) {
        const status = statusForError(err);
        const body = JSON.stringify({ message: errorMessage(err) }) + '\n';
        if (!socket.destroyed) {
          socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nApi-Version: ${API_VERSION}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        }
      }
    })();
  });

  // Uploads (load, import, build contexts) and followed logs run for as long as they need.
  // A client gets 20 s to send its headers (slow-loris), and idle keep-alive connections close.
  server.requestTimeout = 0;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  server.maxRequestsPerSocket = 1000;
  // Bytes that are not HTTP get a 400 and the connection closed, never an exception.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}
