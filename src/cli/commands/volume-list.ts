/** `berth volume ls`: docker's `DRIVER    VOLUME NAME` table, `-q`, `--format`, `--filter`. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';
import { formatForCli } from '../format/table.js';

export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
}

const HEADERS = { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Scope: 'SCOPE', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', CreatedAt: 'CREATED AT' };

function row(v: VolumeView): Record<string, string> {
  const labels = Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(',');
  return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: labels, Links: 'N/A', Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: 'N/A' };
}

export function defineVolumeList(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS]')
    .description('List volumes')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect)
    .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('-q, --quiet', 'Only display volume names')
    .action(async (opts: { filter?: string[]; format?: string; quiet?: boolean }) => {
      const res = await ctx.client.json<{ Volumes: VolumeView[] | null }>({ method: 'GET', path: '/volumes', query: { filters: filtersJson(opts.filter) } });
      const volumes = (res.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
      if (opts.quiet && !opts.format) {
        for (const v of volumes) ctx.out(v.Name);
        return;
      }
      ctx.out(formatForCli(opts.format, 'table {{.Driver}}\t{{.Name}}', volumes.map(row), HEADERS));
    });
}
