/**
 * Hijacked connections (attach, exec start): an HTTP/1.1 request with `Connection: Upgrade` and
 * `Upgrade: tcp` that the daemon answers with `101 UPGRADED`, after which the same socket carries
 * the raw or multiplexed stream both ways.
 *
 * Written by hand on a net.Socket rather than through node:http: the client must be able to
 * half-close (FIN) its side while still reading, and bytes the daemon sends right after the
 * header block belong to the stream, so nothing may sit between us and the socket.
 */
import { createConnection, type Socket } from 'node:net';
import { ApiError, buildQuery, ConnectionError, type EngineClient, type Query } from './engine-client.js';

export interface HijackSpec {
  method: 'POST';
  path: string;
  query?: Query;
  /** JSON body (exec start sends `{"Detach":false,"Tty":…}`). */
  body?: unknown;
}

interface ResponseHead {
  status: number;
  headers: Map<string, string>;
  rest: Buffer;
}

const MAX_HEAD = 64 * 1024;

/** Opens the upgraded stream; the returned socket is paused with any early stream bytes unshifted. */
export async function hijack(client: EngineClient, spec: HijackSpec): Promise<Socket> {
  const path = `/v${await client.apiVersion()}${spec.path}${buildQuery(spec.query)}`;
  const socket = await connect(client.socketPath);
  const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
  const lines = [
    `${spec.method} ${path} HTTP/1.1`,
    'Host: berth',
    'User-Agent: Berth-Client',
    'Connection: Upgrade',
    'Upgrade: tcp',
    ...(payload ? ['Content-Type: application/json', `Content-Length: ${payload.length}`] : ['Content-Length: 0']),
  ];
  // One write, so the head and the body arrive together, as Go's client sends them.
  socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload ?? Buffer.alloc(0)]));
  let head: ResponseHead;
  try {
    head = await readHead(socket);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  if (head.status === 101) {
    if (head.rest.length > 0) socket.unshift(head.rest);
    return socket;
  }
  const body = await readBody(socket, head).finally(() => socket.destroy());
  throw new ApiError(head.status, errorMessage(head, body));
}

function connect(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES' ? new ConnectionError(socketPath, err) : err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/** Reads up to the blank line; what follows it is handed back in `rest`. */
function readHead(socket: Socket): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD) {
          cleanup();
          reject(new Error('daemon sent an HTTP response header over 64 KiB'));
        }
        return;
      }
      cleanup();
      socket.pause();
      try {
        resolve({ ...parseHead(buffered.subarray(0, end).toString('latin1')), rest: buffered.subarray(end + 4) });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('daemon closed the connection before answering the upgrade request'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}

export function parseHead(text: string): { status: number; headers: Map<string, string> } {
  const [statusLine = '', ...headerLines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) throw new Error(`malformed HTTP status line from daemon: "${statusLine}"`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), headers };
}

/** The error body: Content-Length bytes, chunked, or everything until the daemon closes. */
async function readBody(socket: Socket, head: ResponseHead): Promise<Buffer> {
  let data = head.rest;
  const length = head.headers.get('content-length');
  const chunked = /chunked/i.test(head.headers.get('transfer-encoding') ?? '');
  const complete = (): boolean => {
    if (length !== undefined) return data.length >= Number(length);
    return chunked && dechunk(data).done;
  };
  if (!complete()) {
    socket.resume();
    for await (const chunk of socket) {
      data = Buffer.concat([data, chunk as Buffer]);
      if (complete()) break;
    }
  }
  if (length !== undefined) return data.subarray(0, Number(length));
  return chunked ? dechunk(data).body : data;
}

/** Decodes chunked transfer encoding; `done` once the zero-size last chunk has arrived. */
export function dechunk(data: Buffer): { body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', pos);
    if (eol < 0) return { body: Buffer.concat(parts), done: false };
    const size = parseInt(data.subarray(pos, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), done: true };
    if (size === 0) return { body: Buffer.concat(parts), done: true };
    if (eol + 2 + size > data.length) return { body: Buffer.concat(parts), done: false };
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

/** docker reads `{"message"}` only from an application/json body; other bodies print as they are. */
function errorMessage(head: ResponseHead, body: Buffer): string {
  const text = body.toString('utf8');
  let message = text.trim();
  if (head.headers.get('content-type') === 'application/json') {
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* keep the raw text, as the docker CLI does */
    }
  }
  if (head.status >= 200 && head.status < 300) return `unable to upgrade to tcp, received ${head.status}`;
  return message || `status ${head.status}`;
}
