import { readFile } from 'node:fs/promises';
import { atomicWriteJson } from '../../core/atomic-write.js';
import type { Digest } from '../../core/digest.js';
import { errnoCode } from '../../core/errors.js';

/**
 * When each image was last used (a container created or started from it, or the image pulled,
 * loaded, built or tagged), in one JSON file written atomically: the disk budget removes the
 * least recently used tagged images first. Writes are coalesced (a burst of starts is one write);
 * a crash loses at most the last few seconds of touches, which only makes an image look older.
 */
export class ImageLastUse {
  private times = new Map<Digest, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string, private readonly delayMs = 1000) {}

  async init(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, number>;
      this.times = new Map(Object.entries(parsed).filter(([, v]) => typeof v === 'number') as Array<[Digest, number]>);
    } catch (err) {
      // A damaged file only makes images look unused since their arrival.
      if (errnoCode(err) !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
  }

  touch(id: Digest, at = Date.now()): void {
    if ((this.times.get(id) ?? 0) >= at) return;
    this.times.set(id, at);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs).unref();
  }

  get(id: Digest): number | undefined {
    return this.times.get(id);
  }

  forget(id: Digest): void {
    if (this.times.delete(id)) this.timer ??= setTimeout(() => void this.flush(), this.delayMs).unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const snapshot = Object.fromEntries(this.times);
    this.writing = this.writing.then(() => atomicWriteJson(this.file, snapshot, 0o600)).catch(() => undefined);
    await this.writing;
  }
}
