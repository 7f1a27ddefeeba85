import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorMessage, InvalidParameterError } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import type { StreamingBackend, StreamOptions } from './backend.js';
import { serveCommand, type CommandTransport } from './command-session.js';
import { writeHttpError, writeSpdyUpgrade } from './http-reply.js';
import { serveSpdyPortForward, type SpdyPortForwardOptions } from './portforward-spdy.js';
import { serveSpdyTunnelPortForward, serveWebSocketPortForward } from './portforward-ws.js';
import {
  isUpgradeTo,
  isWebSocketRequest,
  negotiateStreamProtocol,
  negotiateWebSocketProtocol,
  PORT_FORWARD_PROTOCOL,
  SPDY_COMMAND_PROTOCOLS,
  SPDY_TUNNEL_PORT_FORWARD_PROTOCOL,
  WS_COMMAND_PROTOCOLS,
  WS_PORT_FORWARD_PROTOCOLS,
} from './protocols.js';
import { RequestCache, MAX_IN_FLIGHT, TOKEN_TTL_MS } from './request-cache.js';
import { acceptSpdyCommand } from './spdy-command.js';
import { acceptWebSocketCommand } from './ws-command.js';

/**
 * The CRI streaming server: the kubelet's Exec, Attach and PortForward RPCs return a URL on it,
 * and the kubelet (or crictl, or critest) connects there directly and speaks SPDY/3.1 or
 * WebSocket. Modelled on k8s.io/cri-streaming's server.go: routes /exec/{token},
 * /attach/{token} and /portforward/{token} (GET or POST), each token single-use and valid for a
 * minute. One difference: the subprotocol is agreed before the token is taken, so a client whose
 * WebSocket offer is refused can fall back to SPDY with the same URL (client-go's fallback
 * executor and dialer do).
 */

/** The CRI ExecRequest, as the CRI server hands it over. */
export interface ExecRequest extends StreamOptions {
  containerId: string;
  cmd: string[];
}
export interface AttachRequest extends StreamOptions {
  containerId: string;
}
export interface PortForwardRequest {
  podSandboxId: string;
  /** Ports for the WebSocket channel protocol; SPDY streams name their own port. */
  port: number[];
}

type Pending = { kind: 'exec'; req: ExecRequest } | { kind: 'attach'; req: AttachRequest } | { kind: 'portforward'; req: PortForwardRequest };
type Kind = Pending['kind'];

export interface StreamingServerOptions {
  backend: StreamingBackend;
  /** host:port to listen on; port 0 lets the OS choose. Default 127.0.0.1:0. */
  address?: string;
  /** The URL base handed out, when clients must dial something else than the listen address. */
  baseUrl?: string;
  /** How long a URL stays usable; the kubelet's is a minute. */
  tokenTtlMs?: number;
  /** How long a SPDY client may take to open its streams (the kubelet: 30 s). */
  streamCreationTimeoutMs?: number;
  /** A connection idle this long is cut (the kubelet: 4 h). */
  idleTimeoutMs?: number;
  maxInFlight?: number;
  /** The clock tokens expire by (tests move it). */
  now?: () => number;
  log?: Logger;
}

const ROUTE = /^\/(exec|attach|portforward)\/([^/?]+)$/;
const NOT_FOUND = '404 page not found';
const IDLE_TIMEOUT_MS = 4 * 3600_000;
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export class StreamingServer {
  private readonly cache: RequestCache<Pending>;
  private readonly http: Server;
  /**
   * The subprotocol agreed for each WebSocket upgrade, answered through the ws server's 'headers'
   * event: ws itself refuses client-go's tunnel protocol, whose name ("SPDY/3.1+…") is no RFC 7230
   * token, so the server agrees on protocols itself and hides the header from ws.
   */
  private readonly agreed = new WeakMap<IncomingMessage, string>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly sockets = new Set<Duplex>();
  private readonly log: Logger;
  private base = '';

  constructor(private readonly opts: StreamingServerOptions) {
    this.cache = new RequestCache(opts.tokenTtlMs ?? TOKEN_TTL_MS, opts.maxInFlight ?? MAX_IN_FLIGHT, opts.now ?? Date.now);
    this.log = opts.log ?? silentLogger();
    this.http = createServer((req, res) => this.onPlainRequest(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const protocol = this.agreed.get(req);
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
    this.http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens; resolves once the URLs handed out can be dialled. */
  async start(): Promise<void> {
    const { host, port } = splitAddress(this.opts.address ?? '127.0.0.1:0');
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const addr = this.http.address() as AddressInfo;
    const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.base = (this.opts.baseUrl ?? `http://${hostPart}:${addr.port}`).replace(/\/+$/, '');
  }

  /** Stops listening and cuts every open stream. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await closed;
  }

  /** The base of the URLs handed out (after start). */
  get url(): string {
    return this.base;
  }

  getExec(req: ExecRequest): { url: string } {
    if (!req.containerId) throw new InvalidParameterError('missing required container_id');
    checkStreams(req);
    if (req.cmd.length === 0) throw new InvalidParameterError('missing required cmd: name the command to run in the container');
    return { url: this.urlFor('exec', this.cache.insert({ kind: 'exec', req })) };
  }

  getAttach(req: AttachRequest): { url: string } {
    if (!req.containerId) throw new InvalidParameterError('missing required container_id');
    checkStreams(req);
    return { url: this.urlFor('attach', this.cache.insert({ kind: 'attach', req })) };
  }

  getPortForward(req: PortForwardRequest): { url: string } {
    if (!req.podSandboxId) throw new InvalidParameterError('missing required pod_sandbox_id');
    for (const p of req.port) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidParameterError(`port ${p} is not a TCP port: use 1 to 65535`);
    }
    return { url: this.urlFor('portforward', this.cache.insert({ kind: 'portforward', req })) };
  }

  private urlFor(kind: Kind, token: string): string {
    if (!this.base) throw new InvalidParameterError('the streaming server is not started: call start() first');
    return `${this.base}/${kind}/${token}`;
  }

  /** Not an upgrade: nothing can be served, but a valid token is used up, as by the kubelet. */
  private onPlainRequest(req: IncomingMessage, res: ServerResponse): void {
    const route = ROUTE.exec(pathOf(req.url));
    const pending = route && (req.method === 'GET' || req.method === 'POST') ? this.cache.consume(route[2] ?? '') : undefined;
    const [status, message] = pending && pending.kind === route?.[1] ? [400, 'unable to upgrade: missing upgrade headers in request'] : [404, NOT_FOUND];
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(`${message}\n`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const route = ROUTE.exec(pathOf(req.url));
    if (!route || (req.method !== 'GET' && req.method !== 'POST')) return writeHttpError(socket, 404, NOT_FOUND);
    const kind = route[1] as Kind;
    const token = route[2] ?? '';
    (socket as Socket).setTimeout?.(this.opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => socket.destroy());
    if (isWebSocketRequest(req.headers)) return this.upgradeWebSocket(req, socket, head, kind, token);
    this.upgradeSpdy(req, socket, head, kind, token);
  }

  private take(kind: Kind, token: string): Pending | undefined {
    const pending = this.cache.consume(token);
    return pending?.kind === kind ? pending : undefined;
  }

  private upgradeSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, kind: Kind, token: string): void {
    const served = kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : SPDY_COMMAND_PROTOCOLS;
    const agreed = negotiateStreamProtocol(req.headers, served);
    if (!agreed.ok) return writeHttpError(socket, agreed.status, agreed.message, agreed.headers);
    if (!isUpgradeTo(req.headers, 'SPDY/3.1')) return writeHttpError(socket, 400, 'unable to upgrade: missing upgrade headers in request');
    const pending = this.take(kind, token);
    if (!pending) return writeHttpError(socket, 404, NOT_FOUND);
    writeSpdyUpgrade(socket, agreed.protocol);
    if (pending.kind === 'portforward') {
      void serveSpdyPortForward(socket, head, this.portForwardOptions(pending.req));
      return;
    }
    const opts = streamOptions(pending.req);
    const timeout = this.opts.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS;
    void acceptSpdyCommand(socket, head, agreed.protocol, opts, timeout, this.log).then(
      (t) => this.runCommand(pending, t),
      (err: unknown) => this.log.warn(`remotecommand: ${errorMessage(err)}`),
    );
  }

  private upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, kind: Kind, token: string): void {
    const served = kind === 'portforward' ? [SPDY_TUNNEL_PORT_FORWARD_PROTOCOL, ...Object.keys(WS_PORT_FORWARD_PROTOCOLS)] : Object.keys(WS_COMMAND_PROTOCOLS);
    const protocol = negotiateWebSocketProtocol(req.headers, served);
    if (protocol === undefined) {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '');
      return writeHttpError(socket, 403, `requested protocol(s) are not supported: [${offered}]; supports [${served.filter((p) => p).join(' ')}]`);
    }
    const pending = this.take(kind, token);
    if (!pending) return writeHttpError(socket, 404, NOT_FOUND);
    // The kubelet forwards the ports of the CRI request; a request without any takes ?port=.
    let ports: number[] = [];
    if (pending.kind === 'portforward' && protocol !== SPDY_TUNNEL_PORT_FORWARD_PROTOCOL) {
      try {
        ports = pending.req.port.length > 0 ? pending.req.port : portsOf(req.url);
      } catch (err) {
        return writeHttpError(socket, 400, errorMessage(err));
      }
    }
    this.agreed.set(req, protocol);
    delete req.headers['sec-websocket-protocol'];
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (pending.kind === 'portforward') {
        const o = this.portForwardOptions(pending.req);
        if (protocol === SPDY_TUNNEL_PORT_FORWARD_PROTOCOL) void serveSpdyTunnelPortForward(ws, o);
        else void serveWebSocketPortForward(ws, protocol, ports, o);
        return;
      }
      void this.runCommand(pending, acceptWebSocketCommand(ws, protocol, streamOptions(pending.req)));
    });
  }

  private runCommand(pending: Exclude<Pending, { kind: 'portforward' }>, t: CommandTransport): Promise<void> {
    const { backend } = this.opts;
    const opts = streamOptions(pending.req);
    const { containerId } = pending.req;
    if (pending.kind === 'exec') {
      const { cmd } = pending.req;
      return serveCommand(t, async (io) => (await backend.exec(containerId, cmd, opts, io)).exitCode, 'error executing command in container', this.log);
    }
    return serveCommand(t, async (io) => void (await backend.attach(containerId, opts, io)), 'error attaching to container', this.log);
  }

  private portForwardOptions(req: PortForwardRequest): SpdyPortForwardOptions {
    return {
      podSandboxId: req.podSandboxId,
      backend: this.opts.backend,
      streamCreationTimeoutMs: this.opts.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS,
      log: this.log,
    };
  }
}

function checkStreams(req: StreamOptions): void {
  // A terminal has one output: the kubelet refuses both, rather than drop stderr.
  if (req.tty && req.stderr) throw new InvalidParameterError('tty and stderr cannot both be true');
  if (!req.stdin && !req.stdout && !req.stderr) throw new InvalidParameterError('one of stdin, stdout, or stderr must be set');
}

function streamOptions(req: StreamOptions): StreamOptions {
  return { tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr };
}

function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?')[0] ?? '/';
}

/** The ?port= list of a WebSocket port-forward (repeatable, or comma-separated). */
export function portsOf(url: string | undefined): number[] {
  const query = new URL(url ?? '/', 'http://x').searchParams.getAll('port');
  if (query.length === 0) throw new InvalidParameterError('query parameter "port" is required');
  return query.flatMap((v) => {
    if (v === '') throw new InvalidParameterError('query parameter "port" cannot be empty');
    return v.split(',').map((p) => {
      if (!/^\d+$/.test(p) || Number(p) > 65535) throw new InvalidParameterError(`unable to parse "${p}" as a port`);
      if (Number(p) < 1) throw new InvalidParameterError(`port "${p}" must be > 0`);
      return Number(p);
    });
  });
}

/** "host:port", "[v6]:port" or ":port". */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i < 0) throw new InvalidParameterError(`streaming address "${address}" has no port: use host:port (port 0 lets the system choose)`);
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidParameterError(`streaming address "${address}" has no valid port`);
  return { host, port };
}
