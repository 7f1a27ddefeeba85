/**
 * HTTP/1.1 over a Unix socket without node:http, for the requests whose answer is read whole
 * (and for hijack.ts's upgrade). node:http (with its server half, which it loads too) and the
 * first run of its client cost each CLI command ~5 ms of CPU, most of what `berth version`'s two
 * requests cost; the daemon's answers need only a head parser and chunked decoding.
 */
import { createConnection, type Socket } from 'node:net';

export interface ResponseHead {
  status: number;
  /** Lower-cased names. */
  headers: Map<string, string>;
  /** What followed the head in the same reads. */
  rest: Buffer;
}

const MAX_HEAD = 64 * 1024;

/** A connected socket; `onConnectError` turns a failed connect into the caller's error. */
export function connectSocket(socketPath: string, onConnectError: (err: NodeJS.ErrnoException) => Error): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const onError = (err: NodeJS.ErrnoException): void => reject(onConnectError(err));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/** The request head (and body) in one write, as Go's client sends them. */
export function writeRequest(socket: Socket, method: string, path: string, headers: Record<string, string>, payload?: Buffer): void {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: berth', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload ?? Buffer.alloc(0)]));
}

/** Reads up to the blank line; what follows it is handed back in `rest`, the socket paused. */
export function readHead(socket: Socket): Promise<ResponseHead> {
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
      reject(new Error('daemon closed the connection before answering'));
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

/** Whether an answer to `method` with this status carries a body at all (RFC 9112 6.3). */
export function hasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
}

/**
 * The body: Content-Length bytes, chunked, or everything until the daemon closes. With
 * `strict`, a body the daemon cut short (or a socket destroyed under it) rejects.
 */
export async function readBody(socket: Socket, head: ResponseHead, strict = false): Promise<Buffer> {
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
  if (strict && (length !== undefined || chunked) && !complete()) throw new Error('the daemon closed the connection before its answer was complete');
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
export function daemonMessage(headers: Map<string, string>, status: number, body: Buffer): string {
  const text = body.toString('utf8');
  let message = text.trim();
  if (headers.get('content-type') === 'application/json') {
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* keep the raw text, as the docker CLI does */
    }
  }
  return message || `status ${status}`;
}
