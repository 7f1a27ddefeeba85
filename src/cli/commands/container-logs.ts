/**
 * `berth logs` (docker logs.go): inspect first to learn whether the container has a TTY (then
 * the log stream is raw) or not (then it is multiplexed into stdout and stderr).
 */
import type { Command } from 'commander';
import { copyRaw, demuxStream } from '../../client/stdcopy.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { containerPath } from './container-attach-io.js';
import { inspectContainer } from './container-inspect.js';
import { orRemoved, removedLogsPath } from './container-removed.js';
import { parseGoDuration } from './run-units.js';

/**
 * docker's timetypes.GetTimestamp for --since/--until: a Go duration is "that long ago" (unix
 * seconds), an RFC 3339 date or time is converted (local time when it has no zone), a unix
 * timestamp passes through unchanged.
 */
export function logTimestamp(value: string, now = Date.now()): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now - ns / 1e6) / 1000));
    } catch {
      /* not a duration */
    }
  }
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  if (value.includes('-')) {
    let text = value;
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00'; // JS would read a bare date as UTC
    else if (/T\d{2}$/.test(text)) text += ':00';
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new CliExit(1, `parsing time "${value}": cannot parse as a timestamp`);
    const frac = /\.(\d+)/.exec(value)?.[1] ?? '';
    const nanos = frac === '' ? Math.round((ms % 1000) * 1e6) : Number(frac.padEnd(9, '0').slice(0, 9));
    return `${Math.floor(ms / 1000)}.${String(nanos).padStart(9, '0')}`;
  }
  throw new CliExit(1, `failed to parse value as time or duration: "${value}"`);
}

interface LogsFlags {
  details?: boolean;
  follow?: boolean;
  since?: string;
  tail: string;
  timestamps?: boolean;
  until?: string;
}

export function defineLogs(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action(async (container: string, flags: LogsFlags) => {
      // A live container wins; else the kept log of a removed one of that name (nothing to follow).
      const source = await orRemoved(ctx, (n) => inspectContainer(ctx, n))(container);
      const removed = 'RemovedAt' in source;
      const tty = removed ? source.Tty : source.Config?.Tty === true;
      const res = await ctx.client.raw({
        method: 'GET',
        path: removed ? removedLogsPath(source.Id) : containerPath(source.Id, 'logs'),
        query: {
          stdout: true,
          stderr: true,
          since: flags.since === undefined ? undefined : logTimestamp(flags.since),
          until: flags.until === undefined ? undefined : logTimestamp(flags.until),
          timestamps: flags.timestamps === true || undefined,
          follow: (flags.follow === true && !removed) || undefined,
          tail: flags.tail,
          details: flags.details === true || undefined,
        },
      });
      try {
        if (tty) await copyRaw(res, ctx.stdout);
        else await demuxStream(res, ctx.stdout, ctx.stderr);
      } catch (err) {
        throw new CliExit(1, (err as Error).message);
      }
    });
}
