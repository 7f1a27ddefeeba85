import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** One byte budget shared by every response: `--rate-limit` caps the registry's total send rate. */
export class RateLimiter {
  private nextFree = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** A transform that releases chunks (cut to 64 KiB) no faster than the shared rate. */
  stream(): Transform {
    const slot = (n: number): number => {
      const now = Date.now();
      const start = Math.max(now, this.nextFree);
      this.nextFree = start + (n / this.bytesPerSecond) * 1000;
      return start - now;
    };
    return new Transform({
      async transform(chunk: Buffer, _enc, cb) {
        for (let off = 0; off < chunk.length; off += 65536) {
          const piece = chunk.subarray(off, off + 65536);
          const wait = slot(piece.length);
          if (wait > 0) await sleep(wait);
          this.push(piece);
        }
        cb();
      },
    });
  }
}
