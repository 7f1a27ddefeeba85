import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An append-only journal of JSON lines, bounded on disk: `events.log` holds the newest lines and,
 * once it passes `maxBytes`, becomes `events.log.1` (the one before is dropped). Each record is
 * one write(2) of one whole line on an O_APPEND descriptor, so a daemon killed at any moment
 * leaves at most a torn last line, which readers skip. Writes are synchronous on purpose: they
 * are small, keep the order of events, and are in the kernel before the caller goes on.
 */
export class EventJournal {
  private fd = -1;
  private size = 0;
  private readonly current: string;
  private readonly previous: string;

  constructor(dir: string, private readonly maxBytes = 2 * 1024 * 1024) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.current = join(dir, 'events.log');
    this.previous = join(dir, 'events.log.1');
  }

  private open(): void {
    if (this.fd >= 0) return;
    this.fd = openSync(this.current, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    // A line torn by a crash must not glue itself to the next record.
    if (this.size > 0 && !this.endsWithNewline()) this.write('\n');
  }

  private endsWithNewline(): boolean {
    const last = Buffer.alloc(1);
    const fd = openSync(this.current, 'r');
    try {
      readSync(fd, last, 0, 1, this.size - 1);
    } finally {
      closeSync(fd);
    }
    return last[0] === 0x0a;
  }

  private write(text: string): void {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.size += buf.length;
  }

  append(record: unknown): void {
    this.open();
    if (this.size >= this.maxBytes) this.rotate();
    this.write(JSON.stringify(record) + '\n');
  }

  private rotate(): void {
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.current, this.previous);
    this.open();
  }

  /** Every intact record, oldest first. */
  readAll<T>(): T[] {
    const out: T[] = [];
    for (const file of [this.previous, this.current]) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          out.push(JSON.parse(line) as T);
        } catch {
          /* a line torn by a crash */
        }
      }
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
