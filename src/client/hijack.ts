/**
 * Hijacked connections (attach, exec start): an HTTP/1.1 request with `Connection: Upgrade` and
 * `Upgrade: tcp` that the daemon answers with `101 UPGRADED`, after which the same socket carries
 * the raw or multiplexed stream both ways.
 *
 * Written by hand on a net.Socket rather than through node:http: the client must be able to
 * half-close (FIN) its side while still reading, and bytes the daemon sends right after the
 * header block belong to the stream, so nothing may sit between us and the socket.
 */
import type { Socket } from 'node:net';
import { ApiError, buildQuery, connectError, type EngineClient, type Query } from './engine-client.js';
import { connectSocket, daemonMessage, readBody, readHead, type ResponseHead } from './plain-http.js';

export interface HijackSpec {
  method: 'POST';
  path: string;
  query?: Query;
  /** JSON body (exec start sends `{"Detach":false,"Tty":…}`). */
  body?: unknown;
}


/** Opens the upgraded stream; the returned socket is paused with any early stream bytes unshifted. */
export async function hijack(client: EngineClient, spec: HijackSpec): Promise<Socket> {
  const path = `/v${await client.apiVersion()}${spec.path}${buildQuery(spec.query)}`;
  const socket = await connectSocket(client.socketPath, (err) => connectError(client.socketPath, err));
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

/** The error of a refused upgrade: the daemon's message, or what docker says for a 2xx. */
function errorMessage(head: ResponseHead, body: Buffer): string {
  if (head.status >= 200 && head.status < 300) return `unable to upgrade to tcp, received ${head.status}`;
  return daemonMessage(head.headers, head.status, body);
}
