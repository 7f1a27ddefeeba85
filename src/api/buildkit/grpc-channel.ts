import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { eventOrClose } from '../../core/event-or-close.js';

/** gRPC status codes (google.golang.org/grpc/codes) this side reads or sends. */
export const GrpcCode = { OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/** A call that ended with a gRPC status other than OK. */
export class GrpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    detail: string,
  ) {
    super(`${method}: ${detail} (gRPC code ${code})`);
  }
}

const MAX_MESSAGE = 16 * 1024 * 1024;

/** A bidirectional call: what engine/build/solve-types.ts calls a Channel when both directions carry one type. */
export interface BidiCall<Req, Res> {
  send(msg: Req): Promise<void>;
  /** The next message, or null when the peer ended its side; rejects with the call's error. */
  recv(): Promise<Res | null>;
  closeSend(): void;
  cancel(): void;
}

/**
 * One gRPC call over an HTTP/2 connection the client opened to us (the BuildKit session: buildx
 * is the gRPC server there). @grpc/grpc-js cannot make calls over a connection it did not dial,
 * so this is gRPC's framing by hand (a 5-byte prefix per message, status in the trailers); the
 * messages themselves are encoded by protobufjs.
 */
export function grpcCall<Req, Res>(session: ClientHttp2Session, method: string, metadata: Record<string, string[]>, encode: (m: Req) => Buffer, decode: (b: Buffer) => Res): BidiCall<Req, Res> {
  const headers: Record<string, string | string[]> = { ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers' };
  for (const [k, v] of Object.entries(metadata)) if (v.length > 0) headers[k.toLowerCase()] = v;
  const stream: ClientHttp2Stream = session.request(headers);
  const queue: Res[] = [];
  const waiters: Array<{ resolve: (m: Res | null) => void; reject: (e: unknown) => void }> = [];
  let ended = false;
  let failure: unknown = null;
  let pending: Buffer = Buffer.alloc(0);
  let status: IncomingHttpHeaders | null = null;

  const settle = (): void => {
    while (waiters.length > 0) {
      const w = waiters[0] as (typeof waiters)[number];
      if (queue.length > 0) {
        waiters.shift();
        w.resolve(queue.shift() as Res);
      } else if (failure !== null) {
        waiters.shift();
        w.reject(failure);
      } else if (ended) {
        waiters.shift();
        w.resolve(null);
      } else return;
    }
  };
  const statusOf = (h: IncomingHttpHeaders): void => {
    if (h['grpc-status'] !== undefined) status = h;
  };
  stream.on('response', (h) => {
    const httpStatus = Number(h[':status']);
    if (httpStatus !== 200) failure = new GrpcCallError(method, GrpcCode.UNAVAILABLE, `the client answered HTTP ${httpStatus}`);
    statusOf(h);
  });
  stream.on('trailers', statusOf);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending[0] !== 0) {
        failure = new GrpcCallError(method, GrpcCode.UNIMPLEMENTED, 'the client sent a compressed message, which berthd did not ask for');
        stream.close(constants.NGHTTP2_CANCEL);
        break;
      }
      if (len > MAX_MESSAGE) {
        failure = new GrpcCallError(method, GrpcCode.INVALID_ARGUMENT, `a message of ${len} bytes is over the ${MAX_MESSAGE}-byte limit`);
        stream.close(constants.NGHTTP2_CANCEL);
        break;
      }
      if (pending.length < 5 + len) break;
      try {
        queue.push(decode(pending.subarray(5, 5 + len)));
      } catch (err) {
        failure = err;
      }
      pending = pending.subarray(5 + len);
    }
    settle();
  });
  const finish = (): void => {
    if (failure === null) {
      const h = status as IncomingHttpHeaders | null;
      const code = h ? Number(h['grpc-status']) : GrpcCode.UNAVAILABLE;
      if (code !== GrpcCode.OK) {
        const msg = h ? decodeURIComponent(String(h['grpc-message'] ?? '')) : 'the call ended without a gRPC status';
        failure = new GrpcCallError(method, code, msg || 'no message');
      }
    }
    ended = true;
    settle();
  };
  stream.on('end', finish);
  stream.on('close', () => {
    if (!ended) {
      if (failure === null && status === null) failure = new GrpcCallError(method, GrpcCode.UNAVAILABLE, 'the client closed the call');
      finish();
    }
  });
  stream.on('error', (err) => {
    if (failure === null) failure = err;
  });

  return {
    async send(msg: Req): Promise<void> {
      if (failure !== null) throw failure;
      const body = encode(msg);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      if (!stream.write(frame)) await eventOrClose(stream, 'drain');
    },
    recv(): Promise<Res | null> {
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      });
    },
    closeSend(): void {
      if (!stream.writableEnded) stream.end();
    },
    cancel(): void {
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    },
  };
}
