import type { Duplex } from 'node:stream';
import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { StreamingBackend } from './backend.js';
import { endWritable } from './command-session.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';

/**
 * Port-forward over SPDY (portforward.k8s.io), as the kubelet's httpStreamHandler: one connection
 * carries any number of forwarded connections; each is a pair of streams, `error` then `data`,
 * with the same `port` and `requestID` headers. A complete pair is handed to the backend; what it
 * reports as failure goes back on the error stream. Also runs inside a WebSocket (client-go's
 * SPDY/3.1+portforward.k8s.io tunnel), on the Duplex that wraps it.
 */

interface Pair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Why a stream is refused (RST_STREAM), or undefined when its headers are good. */
export function checkPortForwardStream(port: string | undefined, streamType: string | undefined): string | undefined {
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  if (!streamType) return '"streamType" header is required';
  if (streamType !== 'data' && streamType !== 'error') return `invalid stream type "${streamType}"`;
  return undefined;
}

/**
 * The pair a stream belongs to. Clients before requestID paired by stream id: an error stream and
 * the data stream opened right after it (id + 2).
 */
export function portForwardRequestId(requestId: string | undefined, streamType: string, streamId: number): string {
  if (requestId) return requestId;
  return String(streamType === 'error' ? streamId : streamId - 2);
}

export interface SpdyPortForwardOptions {
  podSandboxId: string;
  backend: StreamingBackend;
  streamCreationTimeoutMs: number;
  log: Logger;
}

/** Serves the connection until the client closes it. */
export function serveSpdyPortForward(socket: Duplex, head: Buffer, o: SpdyPortForwardOptions): Promise<void> {
  const pairs = new Map<string, Pair>();
  const abort = new AbortController();
  const session = new SpdySession(socket, {
    onStream(stream) {
      const type = stream.header('streamType');
      const refusal = checkPortForwardStream(stream.header('port'), type);
      if (refusal !== undefined) return refusal;
      const requestId = portForwardRequestId(stream.header('requestID'), type ?? '', stream.id);
      let pair = pairs.get(requestId);
      if (!pair) {
        const p: Pair = {
          requestId,
          timer: setTimeout(() => {
            pairs.delete(requestId);
            p.error?.write(`timed out waiting for streams of request ${requestId}`);
          }, o.streamCreationTimeoutMs),
        };
        p.timer.unref();
        pairs.set(requestId, p);
        pair = p;
      }
      const kind = type === 'data' ? 'data' : 'error';
      if (pair[kind]) {
        pair.error?.write(`error processing stream for request ${requestId}: ${kind} stream already assigned`);
        return undefined;
      }
      pair[kind] = stream;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void forward(pair.data, pair.error, o, abort.signal);
      }
      return undefined;
    },
    onError: (message) => o.log.debug(`port-forward: ${message}`),
  });
  void session.done.then(() => {
    abort.abort();
    for (const p of pairs.values()) clearTimeout(p.timer);
  });
  session.feed(head);
  return session.done;
}

async function forward(data: SpdyStream, error: SpdyStream, o: SpdyPortForwardOptions, signal: AbortSignal): Promise<void> {
  const port = Number(data.header('port'));
  try {
    await o.backend.portForward(o.podSandboxId, port, data, signal);
  } catch (err) {
    const message = `error forwarding port ${port} to pod ${o.podSandboxId}, uid : ${errorMessage(err)}`;
    o.log.warn({ err }, message);
    // The message, then reset both: the client reads the one and may open new streams after.
    await new Promise<void>((resolve) => error.write(message, () => resolve()));
    data.reset();
    error.reset();
    return;
  }
  await Promise.all([endWritable(data), endWritable(error)]);
}
