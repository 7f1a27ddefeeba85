import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { InvalidParameterError, SystemError, errorMessage, isBerthError } from './errors.js';
import { zlib } from './node-builtins.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Bytes needed to tell the formats apart (xz's magic is the longest). */
export const MAGIC_LENGTH = 6;

/** Identifies a stream's compression by its first bytes, as docker's DecompressStream does. */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (...magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  return 'none';
}

/**
 * zstd's largest window, as docker's decoder (klauspost's WithDecoderMaxWindow, 128 MiB): a frame
 * asking for more (`zstd --long=31`) is refused rather than allowed to take gigabytes.
 */
const ZSTD_WINDOW_LOG_MAX = 27;

/**
 * A decompressing stream whose failures on bad input are InvalidParameterError (a corrupt stream is
 * the client's, not a 500). bzip2 and xz have no decompressor in Node: like docker for xz, we
 * run Debian's tools.
 */
export function decompressor(kind: Compression): Duplex {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return typedErrors(zlib().createGunzip(), kind);
    case 'zstd':
      return typedErrors(zlib().createZstdDecompress({ params: { [zlib().constants.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX } }), kind);
    case 'bzip2':
      return new ChildDecompressor(kind, 'bzip2', ['-d', '-c']);
    case 'xz':
      return new ChildDecompressor(kind, 'xz', ['-d', '-c', '-q']);
  }
}

/** The same stream, its errors turned into InvalidParameterError unless they are the host's. */
function typedErrors(stream: Duplex, kind: Compression): Duplex {
  const destroy = stream.destroy.bind(stream);
  // zlib destroys itself with the error it found: type it on the way, whoever reads the stream.
  stream.destroy = (err?: Error): Duplex => destroy(err === undefined ? undefined : invalidStream(kind, err));
  return stream;
}

/** The decoder's own verdicts (zlib's Z_DATA_ERROR, zstd's ZSTD_error_*) blame the input; anything else passes. */
function invalidStream(kind: Compression, err: Error): Error {
  const code = (err as { code?: unknown }).code;
  if (isBerthError(err) || typeof code !== 'string' || !/^(Z_|ZSTD_)/.test(code)) return err;
  const hint = /windowTooLarge/.test(code) ? ` (its window is larger than ${2 ** (ZSTD_WINDOW_LOG_MAX - 20)} MiB)` : '';
  return new InvalidParameterError(`invalid ${kind} stream: ${errorMessage(err)}${hint}`, { cause: err });
}

/**
 * Decompresses through a child process (`bzip2 -d -c`, `xz -d -c -q`): input to its stdin, its
 * stdout out. A non-zero exit is a corrupt stream, with the tool's own words; a missing tool is
 * the host's failure.
 */
class ChildDecompressor extends Duplex {
  private readonly child;
  private stderr = '';
  private exited = false;
  private pendingWrite: (() => void) | null = null;

  constructor(
    private readonly kind: Compression,
    command: string,
    args: string[],
  ) {
    super();
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.child;
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString('utf8');
    });
    // EPIPE when the tool stops reading early (a corrupt stream): its exit status says why.
    child.stdin.on('error', () => this.release());
    child.on('error', (err) => {
      this.exited = true;
      this.release();
      this.destroy(new SystemError(`cannot decompress ${kind} input: ${command}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      this.exited = true;
      this.release();
      if (this.destroyed) return;
      if (code === 0) return void this.push(null);
      // The tool's first line says what is wrong; the rest is advice for a terminal user.
      const said = this.stderr.trim().split('\n')[0]?.trim() ?? '';
      this.destroy(new InvalidParameterError(`invalid ${this.kind} stream: ${said || `${command} exited with ${code ?? signal}`}`));
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Once the tool is gone, what is left of the input is dropped, so the source still drains.
    if (this.exited || this.child.stdin.write(chunk)) return cb();
    this.pendingWrite = () => cb();
    this.child.stdin.once('drain', () => this.release());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.exited) this.child.stdin.end();
    cb();
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.exited) this.child.kill();
    this.release();
    cb(err);
  }

  private release(): void {
    const pending = this.pendingWrite;
    this.pendingWrite = null;
    pending?.();
  }
}

/** Pipes `source` through a decompressor, forwarding the source's errors (pipe() does not). */
export function decompress(source: Readable, kind: Compression): Duplex {
  const out = decompressor(kind);
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

/**
 * The decompressed content of `input`, whose compression is detected from its first bytes. The
 * input is read through a non-destroying iterator: if the caller gives up (a bad archive), the
 * input stays the caller's to drain or close, e.g. an HTTP request whose response is still due.
 */
/** A chunk as a Buffer, not copied when it is one already (Buffer.from would copy every byte). */
function asBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

export async function decompressInput(input: Readable): Promise<Readable> {
  const it = input.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let length = 0;
  while (length < MAGIC_LENGTH) {
    const r = await it.next();
    if (r.done) break;
    const chunk = asBuffer(r.value);
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield asBuffer(r.value);
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  // Plain input needs no stage of its own: one pass-through less for every chunk.
  if (kind === 'none') return raw;
  const out = decompressor(kind);
  raw.on('error', (err) => out.destroy(err));
  return raw.pipe(out);
}
