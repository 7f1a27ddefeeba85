/**
 * Removed containers as the CLI sees them (`GET /berth/v1/removed…`): `ps --removed`, and the
 * fallback of `logs` and `inspect` when no live container has the name (a live one always wins).
 */
import { ApiError } from '../../client/engine-client.js';
import type { CliContext } from '../cli-context.js';
import { goQuote } from '../format/go-template-strconv.js';
import { ellipsis, formatForCli } from '../format/table.js';
import { humanDuration, humanSize, truncateId } from '../../core/human-units.js';

/** The record the daemon keeps (engine/containers/removed-record.ts), as far as the CLI reads it. */
export interface RemovedRecord {
  Id: string;
  Name: string;
  Image: string;
  Path: string;
  Args: string[];
  Labels: Record<string, string> | null;
  Tty: boolean;
  StartedAt: string;
  FinishedAt: string;
  ExitCode: number | null;
  Reason: string;
  PeakMemory: number | null;
  RemovedAt: string;
}

const removedPath = (ref: string, sub = ''): string => `/berth/v1/removed/${encodeURIComponent(ref)}${sub}`;

/** The kept record of a removed container, or undefined when none is kept by that name or ID. */
export async function findRemoved(ctx: CliContext, ref: string): Promise<RemovedRecord | undefined> {
  try {
    return await ctx.client.json<RemovedRecord>({ method: 'GET', path: removedPath(ref) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * A fetch of live objects that, when the name is unknown (404), answers with the kept record of
 * a removed container of that name, saying so on stderr; otherwise the fetch's error stands.
 */
export function orRemoved<T>(ctx: CliContext, fetch: (name: string) => Promise<T>): (name: string) => Promise<T | RemovedRecord> {
  return async (name) => {
    try {
      return await fetch(name);
    } catch (err) {
      const removed = isNotFound(err) ? await findRemoved(ctx, name) : undefined;
      if (!removed) throw err;
      ctx.err(removedNotice(name, removed));
      return removed;
    }
  };
}

function isNotFound(err: unknown): boolean {
  return (err instanceof ApiError && err.status === 404) || (err instanceof Error && err.name === 'NotFoundLine');
}

export function removedLogsPath(id: string): string {
  return removedPath(id, '/logs');
}

const ago = (iso: string, now: number): string => (iso.startsWith('0001') || iso === '' ? '-' : `${humanDuration(now - Date.parse(iso))} ago`);

/** The one line on stderr that says the answer is a removed container's record, not a live one. */
export function removedNotice(ref: string, r: RemovedRecord, now = Date.now()): string {
  return `berth: container ${ref} (${r.Id.slice(0, 12)}) was removed ${ago(r.RemovedAt, now)} (${r.RemovedAt}); showing its kept record`;
}

/** A row of `ps --removed`; the fields are what `--format` templates use. */
export class RemovedRow {
  readonly ID: string;
  readonly Image: string;
  readonly Command: string;
  readonly Exit: string;
  readonly ExitCode: string;
  readonly Reason: string;
  readonly Finished: string;
  readonly FinishedAt: string;
  readonly Removed: string;
  readonly RemovedAt: string;
  readonly PeakMemory: string;
  readonly Names: string;
  readonly Labels: string;

  constructor(r: RemovedRecord, trunc: boolean, now = Date.now()) {
    const command = [r.Path, ...r.Args].join(' ');
    this.ID = truncateId(r.Id, !trunc);
    this.Image = r.Image;
    this.Command = goQuote(trunc ? ellipsis(command, 20) : command);
    this.ExitCode = r.ExitCode === null ? '' : String(r.ExitCode);
    this.Reason = r.Reason;
    this.Exit = `${r.ExitCode === null ? '-' : r.ExitCode} (${r.Reason})`;
    this.Finished = ago(r.FinishedAt, now);
    this.FinishedAt = r.FinishedAt;
    this.Removed = ago(r.RemovedAt, now);
    this.RemovedAt = r.RemovedAt;
    this.PeakMemory = r.PeakMemory === null ? '' : humanSize(r.PeakMemory);
    this.Names = r.Name.replace(/^\//, '');
    const labels = r.Labels ?? {};
    this.Labels = Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`).join(',');
  }
}

const HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', Exit: 'EXIT', ExitCode: 'EXIT CODE', Reason: 'REASON', Finished: 'FINISHED',
  FinishedAt: 'FINISHED AT', Removed: 'REMOVED', RemovedAt: 'REMOVED AT', PeakMemory: 'PEAK MEMORY', Names: 'NAMES', Labels: 'LABELS',
};
const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Exit}}\t{{.Finished}}\t{{.Removed}}\t{{.Names}}';

/** `ps --removed`: newest removal first; `limit` > 0 keeps that many. */
export async function listRemoved(ctx: CliContext, opts: { filters: string | undefined; limit: number; trunc: boolean; quiet: boolean; format: string | undefined }): Promise<void> {
  let list = await ctx.client.json<RemovedRecord[]>({ method: 'GET', path: '/berth/v1/removed', query: { filters: opts.filters } });
  if (opts.limit > 0) list = list.slice(0, opts.limit);
  const rows = list.map((r) => new RemovedRow(r, opts.trunc));
  if (opts.quiet) {
    for (const r of rows) ctx.out(r.ID);
    return;
  }
  ctx.out(formatForCli(opts.format, DEFAULT_TABLE, rows, HEADERS));
}
