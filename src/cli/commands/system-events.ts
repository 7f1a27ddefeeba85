/**
 * `berth events` / `berth system events` (docker's cli/command/system/events.go): the daemon's
 * event stream, history first when --since is given, printed as docker prints it.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { jsonLinesOf } from '../../client/engine-client.js';
import { collect, filtersJson } from '../command-kit.js';
import { compileTemplate } from '../format/go-template.js';
import { logTimestamp } from './container-logs.js';

interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Go's RFC3339NanoFixed in the local zone: 2006-01-02T15:04:05.000000000Z07:00. */
export function formatEventTime(timeNano: number, offsetMinutes = -new Date(Math.floor(timeNano / 1e6)).getTimezoneOffset()): string {
  const ms = Math.floor(timeNano / 1e6);
  const nanos = String(Math.max(0, timeNano - ms * 1e6) + (ms % 1000) * 1e6).padStart(9, '0').slice(0, 9);
  const local = new Date(ms + offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${base}.${nanos}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${base}.${nanos}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** docker's prettyPrintEvent: time, type, action, actor ID, then the attributes sorted by key. */
export function prettyEvent(e: EventMessage): string {
  let out = '';
  if (e.timeNano) out += `${formatEventTime(e.timeNano)} `;
  else if (e.time) out += `${formatEventTime(e.time * 1e9)} `;
  out += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = e.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length > 0) out += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return out;
}

interface EventsFlags {
  since?: string;
  until?: string;
  filter?: string[];
  format?: string;
}

export function defineEvents(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS]')
    .description('Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', "Format output using a custom template: 'json' or a Go template")
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .action(async (flags: EventsFlags) => {
      const template = flags.format === undefined || flags.format === '' ? undefined : compileTemplate(flags.format === 'json' ? '{{json .}}' : flags.format);
      const res = await ctx.client.raw({
        method: 'GET',
        path: '/events',
        query: {
          since: flags.since === undefined ? undefined : logTimestamp(flags.since),
          until: flags.until === undefined ? undefined : logTimestamp(flags.until),
          filters: filtersJson(flags.filter),
        },
      });
      for await (const e of jsonLinesOf<EventMessage>(res)) ctx.out(template ? template.execute(e) : prettyEvent(e));
    });
}
