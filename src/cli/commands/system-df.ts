import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { formatForCli } from '../format/table.js';
import { UsageError } from '../command-kit.js';
import { humanSize } from '../../core/human-units.js';

interface DiskUsage {
  LayersSize: number;
  Images: Array<{ Size: number; Containers: number }> | null;
  Containers: Array<{ State: string; SizeRw?: number }> | null;
  Volumes: Array<{ UsageData?: { Size: number; RefCount: number } }> | null;
  BuildCache: unknown[] | null;
}

function reclaimable(size: number, total: number, withPercent: boolean): string {
  if (!withPercent || total <= 0) return humanSize(size);
  return `${humanSize(size)} (${Math.round((size * 100) / total)}%)`;
}

/** The rows of docker's `system df` summary, computed from `GET /system/df` as the docker CLI does. */
export function diskUsageRows(du: DiskUsage): Array<Record<string, string>> {
  const images = du.Images ?? [];
  const activeImages = images.filter((i) => i.Containers > 0);
  const usedByActive = activeImages.reduce((s, i) => s + i.Size, 0);
  const imageReclaim = Math.max(0, du.LayersSize - usedByActive);
  const containers = du.Containers ?? [];
  const ctrSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => c.State !== 'running' && c.State !== 'paused').reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const volSize = volumes.reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
  const volReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(activeImages.length), Size: humanSize(du.LayersSize), Reclaimable: reclaimable(imageReclaim, du.LayersSize, true) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => c.State === 'running' || c.State === 'paused').length), Size: humanSize(ctrSize), Reclaimable: reclaimable(ctrReclaim, ctrSize, true) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(volSize), Reclaimable: reclaimable(volReclaim, volSize, true) },
    { Type: 'Build Cache', TotalCount: String((du.BuildCache ?? []).length), Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}

export function defineSystemDf(parent: Command, ctx: CliContext): Command {
  return parent
    .command('df')
    .description('Show Berth disk usage')
    .option('--format <string>', "format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('-v, --verbose', 'show detailed information on space usage (not supported yet)')
    .action(async (opts: { format?: string; verbose?: boolean }) => {
      if (opts.verbose) throw new UsageError('system df --verbose is not supported by this Berth version yet');
      const du = await ctx.client.json<DiskUsage>({ method: 'GET', path: '/system/df' });
      const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
      ctx.out(formatForCli(opts.format, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', diskUsageRows(du), headers));
    });
}
