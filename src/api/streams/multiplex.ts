/**
 * Docker's multiplexed stream format (moby `pkg/stdcopy`), used by attach, exec start and logs
 * when the container has no TTY. Each frame is an 8-byte header followed by the payload:
 *
 *   byte 0     stream: 0 stdin, 1 stdout, 2 stderr, 3 daemon error text ("systemerr")
 *   bytes 1-3  zero
 *   bytes 4-7  payload length, big-endian uint32
 *
 * TTY streams carry raw bytes and must never go through here.
 */

export type StreamId = 0 | 1 | 2 | 3;

/** The streams the daemon writes; stdin (0) only ever travels client → daemon. */
export type OutputStreamId = 1 | 2 | 3;

export interface DemuxedFrame {
  stream: StreamId;
  payload: Buffer;
}

const HEADER_SIZE = 8;
const MAX_PAYLOAD = 0xffffffff;

/** Encodes one frame. A payload over 4 GiB cannot be described by the header, so it is refused. */
export function frame(stream: OutputStreamId, payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD) {
    throw new RangeError(`frame payload of ${payload.length} bytes exceeds the 4 GiB a frame header can describe`);
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out.writeUInt32BE(0, 0); // zero bytes 1-3 before the stream byte goes into byte 0
  out[0] = stream;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, HEADER_SIZE);
  return out;
}

/**
 * Splits a multiplexed byte stream back into frames. Chunks may cut a frame (or its header) at any
 * byte, so incomplete data is kept until the rest arrives. Chunks are kept in a list rather than
 * concatenated on every push, so a large frame arriving in many small chunks costs O(n), not O(n²).
 */
export class Demuxer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Bytes received that do not yet form a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns every frame it completes, in order. Throws on an unknown stream byte. */
  push(chunk: Buffer): DemuxedFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: DemuxedFrame[] = [];
    while (this.buffered >= HEADER_SIZE) {
      const header = this.peek(HEADER_SIZE);
      const stream = header[0];
      if (stream === undefined || stream > 3) {
        // stdcopy fails the same way: past a bad header the stream cannot be resynchronised.
        throw new Error(`invalid multiplexed stream header: stream byte ${String(stream)} is not 0, 1, 2 or 3`);
      }
      const length = header.readUInt32BE(4);
      if (this.buffered < HEADER_SIZE + length) break;
      this.take(HEADER_SIZE);
      frames.push({ stream: stream as StreamId, payload: this.take(length) });
    }
    return frames;
  }

  /** Call at end of input: leftover bytes mean the peer stopped in the middle of a frame. */
  end(): void {
    if (this.buffered > 0) {
      throw new Error(`multiplexed stream ended inside a frame: ${this.buffered} bytes left over`);
    }
  }

  /** The first n bytes without consuming them (n ≤ buffered). */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (const chunk of this.chunks) {
      if (filled === n) break;
      filled += chunk.copy(out, filled, 0, Math.min(chunk.length, n - filled));
    }
    return out;
  }

  /** Removes and returns the first n bytes (n ≤ buffered), copying only when they span chunks. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new Error('Demuxer.take: buffered byte count is out of sync');
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
