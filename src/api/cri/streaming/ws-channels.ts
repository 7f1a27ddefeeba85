import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * The Kubernetes channel protocol over WebSocket (k8s.io/streaming wsstream, and client-go's
 * WebSocket executor): each message is one channel's data, its first byte the channel number
 * (binary protocols), or the channel as an ASCII digit and the data in base64 (the
 * `base64.channel.k8s.io` ones, text messages). v5.channel.k8s.io adds a client message
 * [255, channel] that ends a channel (stdin's EOF). Nothing marks the end of a server channel:
 * the client reads to the end of the WebSocket.
 */

export const STREAM_CLOSE_SIGNAL = 255;

export interface ChannelCodec {
  /** Binary messages with a channel byte; false for base64 text messages. */
  binary: boolean;
  /** Understand the v5 close signal. */
  streamClose: boolean;
}

/** What the client may do on a channel: send on it (read), receive from it (write), both, or neither. */
export type ChannelMode = 'read' | 'write' | 'readwrite' | 'ignore';

/** How long a WebSocket we closed may take to answer our close before it is cut. */
const CLOSE_GRACE_MS = 5_000;

export class ChannelStream extends Duplex {
  /** The client ended it (v5 close signal) or the socket closed. */
  inputEnded = false;

  constructor(
    private readonly conn: WebSocketChannels,
    readonly channel: number,
    readonly mode: ChannelMode,
  ) {
    super({ readableHighWaterMark: 1024 * 1024, allowHalfOpen: true });
  }

  override _read(): void {
    this.conn.resumeFor(this);
  }

  /** @internal */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.push(null);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // The kubelet drops what is written on a channel the client did not ask for.
    if (this.mode === 'read' || this.mode === 'ignore') return cb();
    this.conn.send(this.channel, chunk).then(() => cb(), (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))));
  }

  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }
}

export class WebSocketChannels {
  private readonly channels: ChannelStream[] = [];
  private readonly pausedBy = new Set<ChannelStream>();
  private closeTimer: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly codec: ChannelCodec,
    modes: ChannelMode[],
  ) {
    for (const [i, mode] of modes.entries()) {
      const c = new ChannelStream(this, i, mode);
      c.on('error', () => undefined); // a write after the socket closed; the owner sees 'close'
      this.channels.push(c);
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    this.done = new Promise((resolve) => {
      ws.on('close', () => {
        if (this.closeTimer) clearTimeout(this.closeTimer);
        for (const c of this.channels) {
          c.endInput();
          c.destroy();
        }
        resolve();
      });
    });
    ws.on('error', () => ws.terminate());
  }

  channel(n: number): ChannelStream {
    const c = this.channels[n];
    if (!c) throw new RangeError(`channel ${n} of ${this.channels.length}`);
    return c;
  }

  /** Sends one message on channel `n` (an empty one tells client-go the streams are ready). */
  send(n: number, data: Buffer): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.reject(new Error('the WebSocket is closed'));
    const frame = this.codec.binary ? Buffer.concat([Buffer.from([n]), data]) : String.fromCharCode(48 + n) + data.toString('base64');
    return new Promise((resolve, reject) => this.ws.send(frame, { binary: this.codec.binary }, (err) => (err ? reject(err) : resolve())));
  }

  /** A normal closure (1000), which client-go reads as the end of every channel. */
  close(): Promise<void> {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    this.closeTimer ??= setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
    return this.done;
  }

  /** @internal */
  resumeFor(c: ChannelStream): void {
    if (this.pausedBy.delete(c) && this.pausedBy.size === 0) this.ws.resume();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (data.length === 0) return;
    if (this.codec.streamClose && isBinary && data[0] === STREAM_CLOSE_SIGNAL) {
      const n = data[1];
      if (data.length === 2 && n !== undefined) this.channels[n]?.endInput();
      return;
    }
    let n: number;
    let payload: Buffer;
    if (this.codec.binary) {
      n = data[0] ?? 0;
      payload = data.subarray(1);
    } else {
      n = (data[0] ?? 0) - 48;
      payload = Buffer.from(data.subarray(1).toString('latin1'), 'base64');
    }
    const c = this.channels[n];
    // Frames for channels that do not exist, or that the session does not read, are dropped.
    if (!c || c.inputEnded || payload.length === 0 || (c.mode !== 'read' && c.mode !== 'readwrite')) return;
    if (!c.push(payload)) {
      this.pausedBy.add(c);
      this.ws.pause();
    }
  }
}
