import { Duplex } from 'node:stream';
import { errorMessage } from '../../../../core/errors.js';
import { eventOrClose } from '../../../../core/event-or-close.js';
import {
  decodeHeaderBlock,
  decodeIdStatus,
  decodePing,
  decodeStreamHeaders,
  decodeSynStream,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameParser,
  FrameType,
  RstStatus,
  SPDY_VERSION,
  type RawFrame,
  type SpdyHeaders,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-zlib.js';

/**
 * The server end of a SPDY/3.1 connection as moby/spdystream (the kubelet's and client-go's
 * library) runs it: the client opens streams (odd ids, increasing), the server answers each with
 * SYN_REPLY or refuses it with RST_STREAM, either side ends its half with a FIN, PINGs from the
 * client come back, and GOAWAY ends the connection. Like spdystream, no flow control: it never sends
 * WINDOW_UPDATE, so a window kept here would stall after 64 KiB; instead a stream whose reader
 * falls behind pauses the socket (TCP pushes back), as spdystream's blocking reads do.
 */

/** Larger DATA frames are cut: a peer's reader need not hold a whole 16 MiB frame. */
const MAX_DATA_CHUNK = 32 * 1024;
/** How long a connection we said GOAWAY on may take to close before it is cut. */
const CLOSE_GRACE_MS = 10_000;

export interface SpdySessionOptions {
  /**
   * Called for each stream the client opens, before it is answered. Return a reason to refuse it
   * (RST_STREAM REFUSED_STREAM), or undefined to accept it (SYN_REPLY). It must not await: the
   * reply goes out before any frame of a later stream is read.
   */
  onStream(stream: SpdyStream): string | undefined;
  /** Told of what went wrong on the connection (a protocol error, a refused stream). */
  onError?(message: string): void;
}

export class SpdyStream extends Duplex {
  /** Resolves once the SYN_REPLY is queued, so no DATA frame can go before it. */
  private replied!: () => void;
  private readonly replyQueued = new Promise<void>((resolve) => (this.replied = resolve));
  private localFin = false;
  remoteFin = false;
  /** True once either side reset the stream. */
  resetDone = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    // A stream's reader may lag its writer by this much before the connection is paused.
    super({ readableHighWaterMark: 1024 * 1024, allowHalfOpen: true });
  }

  /** The first value of a header (names are case-insensitive, as Go's http.Header.Get). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** @internal */
  markReplied(): void {
    this.replied();
  }

  /** Ends the stream at once with RST_STREAM (CANCEL unless told otherwise). */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.resetDone) return;
    this.resetDone = true;
    void this.session.sendReset(this.id, status).catch(() => undefined);
    this.session.forget(this.id);
    this.destroy();
  }

  /** @internal The peer's DATA. */
  deliver(data: Buffer, fin: boolean): void {
    if (this.remoteFin || this.destroyed) return;
    if (data.length > 0 && !this.push(data)) this.session.pauseFor(this);
    if (fin) this.remoteEnded();
  }

  /** @internal The peer's FIN. */
  remoteEnded(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    if (this.localFin) this.session.forget(this.id);
  }

  /** @internal The peer reset the stream, or the connection went away. */
  peerReset(): void {
    if (this.resetDone) return;
    this.resetDone = true;
    this.session.forget(this.id);
    this.destroy();
  }

  override _read(): void {
    this.session.resumeFor(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.resetDone) return cb(new Error(`SPDY stream ${this.id} was reset`));
    this.replyQueued
      .then(async () => {
        for (let off = 0; off < chunk.length; off += MAX_DATA_CHUNK) {
          await this.session.sendData(this.id, chunk.subarray(off, off + MAX_DATA_CHUNK), false);
        }
      })
      .then(() => cb(), (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.resetDone) return cb();
    this.replyQueued
      .then(() => this.session.sendData(this.id, Buffer.alloc(0), true))
      .then(
        () => {
          this.localFin = true;
          if (this.remoteFin) this.session.forget(this.id);
          cb();
        },
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
  }
}

export class SpdySession {
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pausedBy = new Set<SpdyStream>();
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private goneAway = false;
  private closed = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    // The client half-closed: it sends nothing more, and it is told nothing more either.
    socket.on('end', () => {
      this.onSocketGone();
      this.socket.end();
    });
    socket.on('close', () => this.onSocketGone());
    socket.on('error', () => this.onSocketGone());
  }

  /** Resolves when the connection is gone (either side closed it). */
  get done(): Promise<void> {
    return this.closedPromise;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Feeds bytes that arrived before the session took the socket (after the HTTP upgrade). */
  feed(head: Buffer): void {
    if (head.length > 0) this.onBytes(head);
  }

  /** GOAWAY, then ends the connection once what was queued has gone out. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.goneAway) {
      this.goneAway = true;
      await this.send(() => encodeGoAway(this.lastStreamId, 0)).catch(() => undefined);
    }
    await this.outbound.catch(() => undefined);
    this.socket.end();
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  /** Cuts the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.onSocketGone();
  }

  /** @internal */
  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    return this.send(() => encodeData(id, data, fin));
  }

  /** @internal */
  sendReset(id: number, status: number): Promise<void> {
    return this.send(() => encodeRstStream(id, status));
  }

  /** @internal A stream is done on both sides, or reset. */
  forget(id: number): void {
    const s = this.streams.get(id);
    this.streams.delete(id);
    if (s && this.pausedBy.delete(s) && this.pausedBy.size === 0) this.socket.resume();
  }

  /** @internal */
  pauseFor(stream: SpdyStream): void {
    this.pausedBy.add(stream);
    this.socket.pause();
  }

  /** @internal */
  resumeFor(stream: SpdyStream): void {
    if (this.pausedBy.delete(stream) && this.pausedBy.size === 0 && !this.closed) this.socket.resume();
  }

  /** Frames go out in the order asked, header blocks compressed in that same order. */
  private send(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const next = this.outbound.then(async () => {
      if (this.closed) throw new Error('the SPDY connection is closed');
      const frame = await build();
      if (this.socket.write(frame)) return;
      await eventOrClose(this.socket, 'drain');
    });
    this.outbound = next.catch(() => undefined);
    return next;
  }

  private onBytes(chunk: Buffer): void {
    let frames: RawFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.protocolError(errorMessage(err));
      return;
    }
    for (const f of frames) {
      this.inbound = this.inbound.then(() => this.handle(f)).catch((err: unknown) => this.protocolError(errorMessage(err)));
    }
  }

  private async handle(f: RawFrame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      this.streams.get(f.streamId)?.deliver(f.payload, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    if (f.version !== SPDY_VERSION) {
      this.protocolError(`SPDY version ${f.version} is not served: this server speaks SPDY/3.1`);
      return;
    }
    switch (f.type) {
      case FrameType.SYN_STREAM:
        return this.onSynStream(f.payload, f.flags);
      case FrameType.SYN_REPLY:
      case FrameType.HEADERS: {
        const { streamId, compressedHeaders } = decodeStreamHeaders(f.payload);
        await this.inflater.inflate(compressedHeaders); // keeps the zlib stream in step
        if (f.flags & FLAG_FIN) this.streams.get(streamId)?.remoteEnded();
        return;
      }
      case FrameType.RST_STREAM:
        this.streams.get(decodeIdStatus(f.payload).streamId)?.peerReset();
        return;
      case FrameType.PING: {
        const id = decodePing(f.payload);
        // Odd ids are the client's: echo them. An even one would answer a ping of ours; we send none.
        if (id % 2 === 1) await this.send(() => encodePing(id)).catch(() => undefined);
        return;
      }
      case FrameType.GOAWAY:
        this.goneAway = true;
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: spdystream ignores them, and so do we.
        return;
    }
  }

  private async onSynStream(payload: Buffer, flags: number): Promise<void> {
    const syn = decodeSynStream(payload);
    const headers = decodeHeaderBlock(await this.inflater.inflate(syn.compressedHeaders));
    if (syn.streamId % 2 === 0 || syn.streamId <= this.lastStreamId) {
      this.opts.onError?.(`SPDY stream id ${syn.streamId} is not a new client stream (last was ${this.lastStreamId})`);
      await this.sendReset(syn.streamId, RstStatus.PROTOCOL_ERROR).catch(() => undefined);
      return;
    }
    this.lastStreamId = syn.streamId;
    if (this.goneAway) {
      await this.sendReset(syn.streamId, RstStatus.REFUSED_STREAM).catch(() => undefined);
      return;
    }
    const stream = new SpdyStream(this, syn.streamId, headers);
    stream.on('error', () => undefined); // writes after a reset fail; the owner sees 'close'
    this.streams.set(syn.streamId, stream);
    let refusal: string | undefined;
    try {
      refusal = this.opts.onStream(stream);
    } catch (err) {
      refusal = errorMessage(err);
    }
    if (refusal !== undefined) {
      this.opts.onError?.(`SPDY stream ${syn.streamId} refused: ${refusal}`);
      stream.reset(RstStatus.REFUSED_STREAM);
      return;
    }
    void this.send(async () => encodeSynReply(syn.streamId, await this.deflater.deflate(encodeHeaderBlock(new Map())), false)).catch(() => undefined);
    stream.markReplied();
    if (flags & (FLAG_FIN | FLAG_UNIDIRECTIONAL)) stream.remoteEnded();
  }

  private protocolError(message: string): void {
    if (this.closed) return;
    this.opts.onError?.(`SPDY protocol error: ${message}`);
    void this.close();
  }

  private onSocketGone(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    for (const s of [...this.streams.values()]) s.peerReset();
    this.streams.clear();
    this.inflater.close();
    this.deflater.close();
    this.resolveClosed();
  }
}
