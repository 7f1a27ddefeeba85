import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { InvalidParameterError } from '../../core/errors.js';

/**
 * The server side of RFC 6455, just what `GET /containers/{id}/attach/ws` needs (moby serves it
 * with golang.org/x/net/websocket): the handshake, unfragmented frames out, and frames in
 * (unmasked, joined across continuations only by order), answering pings and ending on close.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A client frame larger than this is no stdin anyone types: refused rather than buffered. */
const MAX_FRAME = 16 * 1024 * 1024;

const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

/** The Sec-WebSocket-Accept answer to a websocket upgrade; refuses a request that is not one. */
export function webSocketAccept(headers: Record<string, string | string[] | undefined>): string {
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || key === '' || String(headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new InvalidParameterError('websocket attach needs a websocket upgrade (Upgrade: websocket, Sec-WebSocket-Key)');
  }
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function writeWebSocketHandshake(socket: Duplex, accept: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

/** One unmasked, final frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Splits the client's bytes into frames (opcode and unmasked payload); chunks may cut anywhere. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ opcode: number; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Array<{ opcode: number; payload: Buffer }> = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0] ?? 0;
      const b1 = this.buf[1] ?? 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) throw new Error(`websocket frame of ${big} bytes is larger than the ${MAX_FRAME} accepted`);
        len = Number(big);
        at = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const end = at + (masked ? 4 : 0) + len;
      if (this.buf.length < end) break;
      const payload = Buffer.from(this.buf.subarray(end - len, end));
      if (masked) {
        const mask = this.buf.subarray(at, at + 4);
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
      }
      out.push({ opcode: b0 & 0x0f, payload });
      this.buf = this.buf.subarray(end);
    }
    return out;
  }
}

/**
 * The websocket as a byte stream: what is written goes out as one frame per write (binary, or
 * text for API clients before 1.28, as moby), data and continuation frames come in as bytes; the
 * client's close frame or FIN ends the readable side, and ending the writable side sends a close.
 */
export function webSocketStream(socket: Duplex, binary: boolean): Duplex {
  const decoder = new FrameDecoder();
  let inputEnded = false;
  const endInput = (): void => {
    if (inputEnded) return;
    inputEnded = true;
    ws.push(null);
  };
  const ws = new Duplex({
    write(chunk: Buffer, _enc, done) {
      socket.write(encodeFrame(binary ? OP_BINARY : OP_TEXT, chunk), done);
    },
    final(done) {
      if (!socket.destroyed) socket.end(encodeFrame(OP_CLOSE, Buffer.alloc(0)));
      done();
    },
    read() {
      socket.resume();
    },
    destroy(err, done) {
      socket.destroy();
      done(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch {
      ws.destroy();
      return;
    }
    for (const f of frames) {
      if (inputEnded) return;
      if (f.opcode === OP_CLOSE) endInput();
      else if (f.opcode === OP_PING) socket.write(encodeFrame(OP_PONG, f.payload));
      else if (f.opcode <= OP_BINARY && f.payload.length > 0 && !ws.push(f.payload)) socket.pause();
    }
  });
  socket.on('end', endInput);
  socket.on('close', () => ws.destroy());
  socket.on('error', () => ws.destroy());
  return ws;
}
