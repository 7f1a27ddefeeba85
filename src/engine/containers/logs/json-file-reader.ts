import { FileChangeWaiter } from './file-change-waiter.js';
import { LogFileCursor, openIfExists, tailStart } from './log-file-cursor.js';
import { formatAttrs, parseLogLine, secondsToNs } from './log-entry.js';
import { rotatedLogLines } from './rotated-logs.js';

/**
 * Reads a container's json-file log with `docker logs` semantics (moby
 * `daemon/logger/loggerutils/logfile.go`, `follow.go`, `api/server/httputils/write_log_stream.go`):
 *
 * - `tail` counts the last N lines of the file over *all* streams; stream filtering happens after,
 *   so `--tail 1` on a log ending in stderr prints nothing when only stdout is asked for.
 * - `since` drops entries before it (inclusive bound) until the first entry at or after it; later
 *   entries are not checked again, because timestamps need not be monotonic.
 * - The first entry after `until` ends the whole read, follow included.
 * - Each line is `[time + ' '][attrs + ' ']log`; `details` with no attrs still adds the space.
 * - `follow` continues from where the history read stopped, until the container is not running
 *   and the file is drained, the signal aborts, or `until` is reached.
 */

export interface ReadLogsOptions {
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds, fractional allowed. */
  since?: number;
  /** Unix seconds, fractional allowed; 0 means unset, as in docker. */
  until?: number;
  /** Last N lines; 'all', a negative number or undefined mean everything. */
  tail?: number | 'all';
  timestamps: boolean;
  details: boolean;
  follow: boolean;
  isRunning: () => boolean;
  /** Resolves (or rejects) when the container exits; ends a follow faster than polling isRunning. */
  waitForExit?: Promise<void>;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: Buffer;
}

const POLL_MS = 250;
/** Returned by the selector when an entry is past `until`: nothing after it may be sent. */
const UNTIL_REACHED = Symbol('until reached');

export async function* readLogs(path: string, opts: ReadLogsOptions): AsyncGenerator<LogLine> {
  const select = selector(opts);
  const aborted = (): boolean => opts.signal?.aborted === true;
  let cursor: LogFileCursor | undefined;
  const waiter = opts.follow ? new FileChangeWaiter(path, POLL_MS, opts.signal) : undefined;
  try {
    const tailWanted = opts.tail === undefined || opts.tail === 'all' || opts.tail < 0 ? undefined : Math.floor(opts.tail);
    // Rotated files first (max-size/max-file): the history spans them.
    for await (const raw of rotatedLogLines(path, tailWanted)) {
      if (aborted()) return;
      const out = select(raw);
      if (out === UNTIL_REACHED) return;
      if (out) yield out;
    }
    const fh = await openIfExists(path);
    if (fh) {
      // Like moby, the history is what the file held when the read began; follow picks up after it.
      cursor = new LogFileCursor(fh, 0); // owns fh from here, so `finally` closes it
      const size = await cursor.size();
      const tail = opts.tail === undefined || opts.tail === 'all' || opts.tail < 0 ? undefined : Math.floor(opts.tail);
      if (tail !== undefined) cursor.pos = await tailStart(fh, size, tail);
      for await (const raw of cursor.lines(size)) {
        if (aborted()) return;
        const out = select(raw);
        if (out === UNTIL_REACHED) return;
        if (out) yield out;
      }
    }
    if (!waiter) return;

    let exited = false;
    const markExited = (): void => {
      exited = true;
      waiter.notify();
    };
    void opts.waitForExit?.then(markExited, markExited);

    for (;;) {
      if (aborted()) return;
      // Decide "stopped" before reading: whatever was written before the exit is then in this read.
      const stopped = exited || !opts.isRunning() || untilPassed(opts.until);
      let progressed = false;
      if (!cursor) {
        const fh = await openIfExists(path); // the monitor may create the file after we started
        if (fh) {
          cursor = new LogFileCursor(fh, 0);
          progressed = true;
        }
      }
      if (cursor) {
        const before = cursor.pos;
        for await (const raw of cursor.lines(await cursor.size())) {
          if (aborted()) return;
          const out = select(raw);
          if (out === UNTIL_REACHED) return;
          if (out) yield out;
        }
        // Only an idle cursor is checked for truncation or rotation: the old file is drained first.
        if (cursor.pos !== before || (await cursor.refresh(path))) progressed = true;
      }
      if (progressed) continue;
      if (stopped) return;
      await waiter.wait();
    }
  } finally {
    waiter?.close();
    await cursor?.close();
  }
}

/** Turns raw lines into output lines, applying since/until, stream choice and prefixes. */
function selector(opts: ReadLogsOptions): (raw: Buffer) => LogLine | undefined | typeof UNTIL_REACHED {
  let since = opts.since === undefined ? undefined : secondsToNs(opts.since);
  const until = opts.until === undefined || opts.until === 0 ? undefined : secondsToNs(opts.until);
  return (raw) => {
    if (raw.length === 0) return undefined;
    const entry = parseLogLine(raw);
    if (!entry) return undefined; // corrupt line: skip it, as moby moves past a SyntaxError
    if (since !== undefined) {
      if (entry.time.ns < since) return undefined;
      since = undefined;
    }
    if (until !== undefined && entry.time.ns > until) return UNTIL_REACHED;
    let stream: LogLine['stream'];
    if (entry.stream === 'stdout' && opts.stdout) stream = 'stdout';
    else if (entry.stream === 'stderr' && opts.stderr) stream = 'stderr';
    else return undefined; // not asked for, or a source docker does not know either
    let prefix = '';
    if (opts.timestamps) prefix += `${entry.time.fixed} `;
    if (opts.details) prefix += `${formatAttrs(entry.attrs)} `;
    const line = prefix === '' ? entry.log : Buffer.concat([Buffer.from(prefix), entry.log]);
    return { stream, line };
  };
}

/**
 * Follow with `until` in the past can stop once the file is drained: entries are stamped when
 * written, so every later one would be past `until` anyway. (moby keeps waiting for such an entry.)
 */
function untilPassed(until: number | undefined): boolean {
  return until !== undefined && until !== 0 && BigInt(Date.now()) * 1_000_000n > secondsToNs(until);
}
