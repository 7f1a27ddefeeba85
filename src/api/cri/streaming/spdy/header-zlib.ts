import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { InvalidParameterError } from '../../../../core/errors.js';
import { SPDY3_DICTIONARY } from './dictionary.js';

/**
 * SPDY/3 compresses every header block of a connection and direction with ONE zlib stream primed
 * with the SPDY dictionary, each block ending in a sync flush, so a block can only be read after
 * all the ones before it. One HeaderCodec per direction keeps that stream and does one block at a
 * time, in call order.
 */

/** A decompressed header block larger than this is refused (a zlib bomb otherwise costs memory). */
const MAX_HEADER_BLOCK = 1024 * 1024;

class HeaderCodec {
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];
  private outLength = 0;
  private failure: Error | undefined;

  constructor(private readonly z: Inflate | Deflate) {
    // Flowing: zlib pushes each output chunk to 'data' before it calls the flush's callback.
    z.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.outLength += chunk.length;
    });
    z.on('error', (err: Error) => (this.failure = err));
  }

  /** The bytes `block` turns into, after every block given before it. */
  run(block: Buffer): Promise<Buffer> {
    const result = this.chain.then(() => this.one(block));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private one(block: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.z.once('error', fail);
      this.z.write(block);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', fail);
        if (this.failure) return reject(this.failure);
        const out = Buffer.concat(this.out, this.outLength);
        this.out = [];
        this.outLength = 0;
        if (out.length > MAX_HEADER_BLOCK) return reject(new InvalidParameterError(`SPDY header block of ${out.length} bytes is larger than ${MAX_HEADER_BLOCK}`));
        resolve(out);
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}

/** Reads the peer's header blocks. */
export class HeaderDecompressor {
  private readonly codec = new HeaderCodec(createInflate({ dictionary: SPDY3_DICTIONARY }));
  inflate(compressed: Buffer): Promise<Buffer> {
    return this.codec.run(compressed);
  }
  close(): void {
    this.codec.close();
  }
}

/** Writes our header blocks. */
export class HeaderCompressor {
  private readonly codec = new HeaderCodec(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  deflate(block: Buffer): Promise<Buffer> {
    return this.codec.run(block);
  }
  close(): void {
    this.codec.close();
  }
}
