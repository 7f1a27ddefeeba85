/**
 * The death record Berth keeps when a container is removed (`GET /berth/v1/removed/{id}`): what
 * it ran, how its last run ended and why, and the tail of its log.
 */
import { open } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.js';
import { isoTime } from '../../core/utc-time.js';
import { readRotated } from './logs/rotated-logs.js';
import { ZERO_TIME, type ContainerRecord, type ExitExplanation } from './container-types.js';

/** How much of a container's log is kept: the newest whole json-file lines up to this many bytes. */
export const KEPT_LOG_BYTES = 1024 * 1024;

/** How a removal came about. */
export type RemovedBy = 'user' | 'auto-remove' | 'prune';

export interface RemovedRecord {
  Id: string;
  /** With docker's leading slash. */
  Name: string;
  /** The image as the user named it, and its ID. */
  Image: string;
  ImageID: string;
  Path: string;
  Args: string[];
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  Labels: Record<string, string>;
  Tty: boolean;
  Created: string;
  StartedAt: string;
  FinishedAt: string;
  /** null when the container never ran. */
  ExitCode: number | null;
  Signal: string | null;
  /** exit-explanation's reasons (exited, signal, oom, stopped, killed, unhealthy, daemon-lost, start-failed), or `created` for one that never ran. */
  Reason: string;
  Message: string;
  OOMKilled: boolean;
  /** Bytes, read from the cgroup at exit; null when unknown. */
  PeakMemory: number | null;
  RestartCount: number;
  RemovedAt: string;
  RemovedBy: RemovedBy;
  /** Bytes of log kept (json-file lines), and whether older lines were left out. */
  Log: { Bytes: number; Truncated: boolean };
}

/** The record of `r`, removed now; `log` is what readLogTail kept. */
export function removedRecord(r: ContainerRecord, by: RemovedBy, log: { bytes: number; truncated: boolean }, now = isoTime()): RemovedRecord {
  const ran = r.State.StartedAt !== ZERO_TIME && !r.State.StartedAt.startsWith('0001');
  const exit: ExitExplanation | undefined = r.LastExit;
  return {
    Id: r.Id,
    Name: r.Name,
    Image: r.Config.Image,
    ImageID: r.Image,
    Path: r.Path,
    Args: r.Args,
    Entrypoint: r.Config.Entrypoint,
    Cmd: r.Config.Cmd,
    Labels: r.Config.Labels,
    Tty: r.Config.Tty,
    Created: r.Created,
    StartedAt: r.State.StartedAt,
    FinishedAt: r.State.FinishedAt,
    ExitCode: exit ? exit.ExitCode : ran ? r.State.ExitCode : null,
    Signal: exit?.Signal ?? null,
    Reason: exit?.Reason ?? (ran ? 'exited' : 'created'),
    Message: exit?.Message ?? (ran ? `the main process exited with code ${r.State.ExitCode}` : 'the container never ran'),
    OOMKilled: exit?.OOMKilled ?? r.State.OOMKilled,
    PeakMemory: exit?.PeakMemory ?? null,
    RestartCount: r.RestartCount,
    RemovedAt: now,
    RemovedBy: by,
    Log: { Bytes: log.bytes, Truncated: log.truncated },
  };
}

/** Whole lines of `data`, newest first; `partialHead` drops a first line cut by a read from the middle. */
function linesNewestFirst(data: Buffer, partialHead: boolean): Buffer[] {
  const out: Buffer[] = [];
  let end = data.length;
  // A last line without its newline is an entry being written: whole entries only.
  if (end > 0 && data[end - 1] !== 0x0a) end = data.lastIndexOf(0x0a) + 1;
  while (end > 0) {
    // (A negative offset would count from the end.)
    const nl = end >= 2 ? data.lastIndexOf(0x0a, end - 2) : -1;
    if (nl < 0 && partialHead) break;
    out.push(data.subarray(nl + 1, end));
    end = nl + 1;
  }
  return out;
}

/** The last `max` bytes of the live log (undefined when it does not exist), and whether that is all of it. */
async function liveTail(path: string, max: number): Promise<{ data: Buffer; whole: boolean } | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, max);
    const data = Buffer.alloc(len);
    await fh.read(data, 0, len, size - len);
    return { data, whole: len === size };
  } finally {
    await fh.close();
  }
}

/**
 * The newest whole lines of a json-file log, up to `max` bytes, oldest first: the live file's
 * tail, then rotated files (`.1`, `.2`… possibly gzipped) while the live one is shorter.
 */
export async function readLogTail(path: string, max = KEPT_LOG_BYTES): Promise<{ data: Buffer; truncated: boolean }> {
  const kept: Buffer[] = [];
  let bytes = 0;
  const take = (lines: Buffer[]): boolean => {
    for (const line of lines) {
      if (bytes + line.length > max) return false;
      kept.push(line);
      bytes += line.length;
    }
    return true;
  };
  if (path === '') return { data: Buffer.alloc(0), truncated: false };
  const live = await liveTail(path, max + 1);
  let truncated = false;
  if (live) {
    truncated = !take(linesNewestFirst(live.data, !live.whole)) || !live.whole;
    if (!live.whole) return { data: Buffer.concat(kept.reverse()), truncated: true };
  }
  for (let n = 1; !truncated; n++) {
    const data = await readRotated(path, n);
    if (!data) break;
    truncated = !take(linesNewestFirst(data, false));
  }
  return { data: Buffer.concat(kept.reverse()), truncated };
}
