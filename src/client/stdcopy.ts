/**
 * Client side of docker's multiplexed stream (moby `pkg/stdcopy.StdCopy`): attach, exec start and
 * logs of a container without a TTY arrive as frames of an 8-byte header and a payload.
 *
 *   byte 0     stream: 0 stdin and 1 stdout (both to stdout), 2 stderr, 3 daemon error text
 *   bytes 1-3  zero
 *   bytes 4-7  payload length, big-endian uint32
 *
 * Payload bytes are written as they arrive, so a large frame is never held in memory whole; only
 * a stream-3 frame is collected, because its text becomes the error.
 */

const HEADER_SIZE = 8;

/** Where demultiplexed bytes go: process.stdout/stderr or any Writable. */
export interface FrameSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** The daemon reported an error inside the stream (stream 3), or sent a frame StdCopy rejects. */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/** Incremental demultiplexer: `push()` chunks as they come; it returns the sinks that need a drain. */
export class StdDemuxer {
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerFill = 0;
  private remaining = 0;
  private target: FrameSink | undefined;
  private systemErr: Buffer[] | undefined;

  constructor(
    private readonly stdout: FrameSink,
    private readonly stderr: FrameSink,
  ) {}

  /**
   * Feeds bytes in; returns the sinks whose write asked the producer to wait (backpressure).
   * Throws StreamError when a stream-3 frame is complete or a header names an unknown stream.
   */
  push(chunk: Buffer): FrameSink[] {
    const blocked = new Set<FrameSink>();
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining === 0 && this.headerFill < HEADER_SIZE) {
        const n = Math.min(HEADER_SIZE - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        if (this.headerFill < HEADER_SIZE) break;
        this.startFrame();
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - pos);
      const piece = chunk.subarray(pos, pos + n);
      pos += n;
      this.remaining -= n;
      if (this.systemErr) this.systemErr.push(Buffer.from(piece));
      else if (this.target && !this.target.write(Buffer.from(piece))) blocked.add(this.target);
      if (this.remaining === 0) this.endFrame();
    }
    return [...blocked];
  }

  /** An incomplete frame at EOF is dropped silently, as StdCopy does. */
  get partial(): boolean {
    return this.headerFill > 0 || this.remaining > 0;
  }

  private startFrame(): void {
    const stream = this.header[0];
    const size = this.header.readUInt32BE(4);
    this.systemErr = undefined;
    this.target = undefined;
    if (stream === 0 || stream === 1) this.target = this.stdout;
    else if (stream === 2) this.target = this.stderr;
    else if (stream === 3) this.systemErr = [];
    else throw new StreamError(`Unrecognized input header: ${stream ?? -1}`);
    this.remaining = size;
    if (size === 0) this.endFrame();
  }

  private endFrame(): void {
    this.headerFill = 0;
    const err = this.systemErr;
    this.systemErr = undefined;
    if (err) throw new StreamError(`error from daemon in stream: ${Buffer.concat(err).toString('utf8')}`);
  }
}

/** Waits until every blocked sink has drained, so a slow terminal or pipe slows the socket. */
async function drain(sinks: FrameSink[]): Promise<void> {
  await Promise.all(sinks.map((s) => new Promise<void>((resolve) => s.once('drain', resolve))));
}

/** Demultiplexes a whole stream into stdout and stderr; resolves at EOF. */
export async function demuxStream(source: AsyncIterable<Buffer | string>, stdout: FrameSink, stderr: FrameSink): Promise<void> {
  const demux = new StdDemuxer(stdout, stderr);
  for await (const chunk of source) {
    const blocked = demux.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (blocked.length > 0) await drain(blocked);
  }
}

/** Copies a raw (TTY) stream to one sink, honouring backpressure. */
export async function copyRaw(source: AsyncIterable<Buffer | string>, sink: FrameSink): Promise<void> {
  for await (const chunk of source) {
    if (!sink.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) await drain([sink]);
  }
}
