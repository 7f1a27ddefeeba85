import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { errnoCode } from '../../../core/errors.js';

/**
 * Line-level access to a json-file log that another process (the container's monitor) appends to.
 * Only '\n'-terminated lines are entries: JSON escapes newlines inside "log", so a '\n' always ends
 * an entry, and bytes after the last one are an entry still being written. They wait in `pending`
 * until the rest arrives, which is how a half-written line is retried instead of reported corrupt.
 */

const READ_CHUNK = 256 * 1024;
const TAIL_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Where the last `count` complete lines of [0, size) start, found by reading backwards in chunks so
 * `tail=10` on a huge file reads a few KiB, not the file (moby's tailfile does the same). With
 * count 0 it is the end of the last complete line. Counts raw lines, corrupt ones included, as
 * docker does.
 */
export async function tailStart(fh: FileHandle, size: number, count: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.min(TAIL_CHUNK, size));
  // The first '\n' found from the end terminates the last complete line, so the boundary before
  // the last `count` lines is the (count+1)-th one.
  let newlines = 0;
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    let i = bytesRead;
    while (i > 0) {
      const nl = buf.lastIndexOf(NEWLINE, i - 1);
      if (nl === -1) break;
      if (++newlines === count + 1) return start + nl + 1;
      i = nl;
    }
    end = start;
  }
  return 0;
}

async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined; // mid-rotation: the new file is not there yet
    throw err;
  }
}

/** Opens a log file for reading, or undefined when it does not exist (a container that never ran). */
export async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export class LogFileCursor {
  private pending: Buffer = EMPTY;

  constructor(
    private fh: FileHandle,
    /** Offset of the next byte to read; everything before it is consumed or in `pending`. */
    public pos: number,
  ) {}

  /** Reads [pos, limit) and yields each complete line without its '\n'. Yielded buffers are views. */
  async *lines(limit: number): AsyncGenerator<Buffer> {
    while (this.pos < limit) {
      const want = Math.min(READ_CHUNK, limit - this.pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.fh.read(buf, 0, want, this.pos);
      if (bytesRead === 0) return; // the file shrank under us; the next refresh sees it
      this.pos += bytesRead;
      const data = this.pending.length > 0 ? Buffer.concat([this.pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        const line = data.subarray(start, nl);
        start = nl + 1;
        yield line;
      }
      // Copy the remainder so a short partial line does not pin the whole chunk in memory.
      this.pending = start === data.length ? EMPTY : Buffer.from(data.subarray(start));
    }
  }

  /** Current size of the file being read. */
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  /**
   * Notices the two ways a log is cut short under a reader. A file that shrank was truncated in
   * place: start over at 0. A different file at `path` means it was rotated (renamed away and
   * recreated): switch to it at 0, but only once the old file is drained. Returns whether there is
   * something new to read.
   */
  async refresh(path: string): Promise<boolean> {
    // Stat the name before the open file: once the name points elsewhere the writer has moved on,
    // so the old file's size read after it is final and no entry is left behind in it.
    const named = await statIfExists(path);
    const current = await this.fh.stat();
    if (current.size < this.pos) {
      this.restart(this.fh);
      return true;
    }
    if (current.size > this.pos) return true;
    if (!named || (named.ino === current.ino && named.dev === current.dev)) return false;
    const next = await openIfExists(path);
    if (!next) return false; // rotated again in between: the next refresh catches up
    await this.fh.close();
    this.restart(next);
    return true;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private restart(fh: FileHandle): void {
    this.fh = fh;
    this.pos = 0;
    this.pending = EMPTY; // a partial line from the old content can never be completed
  }
}
