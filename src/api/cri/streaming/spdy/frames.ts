import { InvalidParameterError } from '../../../../core/errors.js';

/**
 * SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 as amended for 3.1), the subset the Kubernetes
 * streaming protocols use: moby/spdystream, which client-go and the kubelet speak, opens streams
 * with SYN_STREAM, answers with SYN_REPLY, sends DATA, ends a side with FIN, and also knows
 * RST_STREAM, PING, GOAWAY and HEADERS. It never sends SETTINGS or WINDOW_UPDATE and keeps no flow
 * control windows, so neither do we (see session.ts). Header blocks are handled here as plain
 * bytes; header-zlib.ts compresses them.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
} as const;

/** The frame header is eight bytes; the length field is 24 bits. */
const HEADER_LEN = 8;
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type RawFrame =
  | { control: true; version: number; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/**
 * Cuts a byte stream into frames; chunks may split a frame anywhere. A frame longer than
 * `maxPayload` is refused: nothing we serve sends one, and buffering it would let a client grow
 * our memory at will.
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): RawFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RawFrame[] = [];
    while (this.buf.length >= HEADER_LEN) {
      const flags = this.buf.readUInt8(4);
      const length = this.buf.readUIntBE(5, 3);
      if (length > this.maxPayload) {
        throw new InvalidParameterError(`SPDY frame of ${length} bytes is larger than the ${this.maxPayload} this server accepts`);
      }
      if (this.buf.length < HEADER_LEN + length) break;
      const payload = this.buf.subarray(HEADER_LEN, HEADER_LEN + length);
      const word = this.buf.readUInt32BE(0);
      if (word & 0x80000000) {
        out.push({ control: true, version: (word >>> 16) & 0x7fff, type: word & 0xffff, flags, payload });
      } else {
        out.push({ control: false, streamId: word & 0x7fffffff, flags, payload });
      }
      this.buf = this.buf.subarray(HEADER_LEN + length);
    }
    // Keep no reference to a large chunk for a few trailing bytes.
    if (this.buf.length > 0 && this.buf.byteOffset > 0) this.buf = Buffer.from(this.buf);
    return out;
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type, 0);
  head.writeUInt8(flags, 4);
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY DATA frame payload of ${data.length} bytes exceeds 24 bits`);
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt8(fin ? FLAG_FIN : 0, 4);
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

/** SYN_REPLY with an already compressed header block. */
export function encodeSynReply(streamId: number, compressedHeaders: Buffer, fin: boolean): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(streamId & 0x7fffffff);
  return controlFrame(FrameType.SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([id, compressedHeaders]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RST_STREAM, 0, p);
}

export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0);
  return controlFrame(FrameType.PING, 0, p);
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GOAWAY, 0, p);
}

export interface SynStream {
  streamId: number;
  associatedTo: number;
  priority: number;
  compressedHeaders: Buffer;
}

/** The fixed part of a SYN_STREAM; the header block that follows is still compressed. */
export function decodeSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new InvalidParameterError(`SPDY SYN_STREAM of ${payload.length} bytes is shorter than its 10-byte fixed part`);
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedTo: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload.readUInt8(8) >>> 5,
    compressedHeaders: payload.subarray(10),
  };
}

/** SYN_REPLY and HEADERS: a stream id, then the compressed header block. */
export function decodeStreamHeaders(payload: Buffer): { streamId: number; compressedHeaders: Buffer } {
  if (payload.length < 4) throw new InvalidParameterError(`SPDY header frame of ${payload.length} bytes has no stream id`);
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, compressedHeaders: payload.subarray(4) };
}

/** RST_STREAM and GOAWAY: two 32-bit words (stream id, status). */
export function decodeIdStatus(payload: Buffer): { streamId: number; status: number } {
  if (payload.length < 8) throw new InvalidParameterError(`SPDY frame of ${payload.length} bytes is shorter than the 8 a stream id and status take`);
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.readUInt32BE(4) };
}

export function decodePing(payload: Buffer): number {
  if (payload.length < 4) throw new InvalidParameterError(`SPDY PING of ${payload.length} bytes has no id`);
  return payload.readUInt32BE(0);
}

/**
 * Header names and values of a decompressed header block. Names are lowercase on the wire (SPDY
 * requires it); a name sent twice joins its values as separate entries, as does a value holding
 * NULs (SPDY's way of sending several).
 */
export type SpdyHeaders = Map<string, string[]>;

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  let off = 0;
  const need = (n: number, what: string): void => {
    if (off + n > block.length) throw new InvalidParameterError(`SPDY header block ends inside ${what} (at byte ${off} of ${block.length})`);
  };
  need(4, 'the pair count');
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4, 'a name length');
    const nameLen = block.readUInt32BE(off);
    off += 4;
    need(nameLen, 'a name');
    const name = block.toString('latin1', off, off + nameLen).toLowerCase();
    off += nameLen;
    need(4, 'a value length');
    const valueLen = block.readUInt32BE(off);
    off += 4;
    need(valueLen, 'a value');
    const values = block.toString('latin1', off, off + valueLen).split('\0');
    off += valueLen;
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(headers.size));
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'latin1');
    const v = Buffer.from(values.join('\0'), 'latin1');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** The first value of a header, as Go's http.Header.Get reads it. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}
