import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { formatForCli, renderTable } from '../format/table.js';
import { humanSize, sinceText } from '../../core/human-units.js';

interface BuildCacheEntry {
  ID: string;
  Type: string;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
  InUse: boolean;
  Shared: boolean;
}

interface DiskUsage {
  LayersSize: number;
  Images: Array<{ Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize?: number; Containers: number }> | null;
  Containers: Array<{ Id: string; Image: string; Command: string; Created: number; Status: string; Names: string[]; State: string; SizeRw?: number; Mounts?: Array<{ Type: string }> }> | null;
  Volumes: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } }> | null;
  BuildCache: BuildCacheEntry[] | null;
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
    buildCacheRow(du.BuildCache ?? []),
  ];
}

/** As the docker CLI: shared records are the images', not counted here; in-use ones cannot be freed. */
function buildCacheRow(cache: readonly BuildCacheEntry[]): Record<string, string> {
  const own = cache.filter((c) => !c.Shared);
  const size = own.reduce((s, c) => s + c.Size, 0);
  const inUse = own.filter((c) => c.InUse).reduce((s, c) => s + c.Size, 0);
  return { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((c) => c.InUse).length), Size: humanSize(size), Reclaimable: humanSize(size - inUse) };
}

const ago = (iso: string | null): string => (iso ? sinceText(Date.parse(iso) / 1000) : '');

/** `system df -v`: each kind's items, as the docker CLI lays them out. */
export function verboseDiskUsage(du: DiskUsage): string {
  const images = (du.Images ?? []).flatMap((i) => (i.RepoTags?.length ? i.RepoTags : ['<none>:<none>']).map((t) => {
    const colon = t.lastIndexOf(':');
    const shared = Math.max(0, i.SharedSize ?? 0);
    return [t.slice(0, colon), t.slice(colon + 1), i.Id.replace(/^sha256:/, '').slice(0, 12), sinceText(i.Created), humanSize(i.Size), humanSize(shared), humanSize(i.Size - shared), String(i.Containers)];
  }));
  const containers = (du.Containers ?? []).map((c) => [c.Id.slice(0, 12), c.Image, JSON.stringify(c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command), String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length), humanSize(c.SizeRw ?? 0), sinceText(c.Created), c.Status, (c.Names[0] ?? '').replace(/^\//, '')]);
  const volumes = (du.Volumes ?? []).map((v) => [v.Name, String(v.UsageData?.RefCount ?? 0), humanSize(v.UsageData?.Size ?? 0)]);
  const cache = du.BuildCache ?? [];
  const cacheRows = cache.map((c) => [c.ID, c.Type, humanSize(c.Size), ago(c.CreatedAt), ago(c.LastUsedAt), String(c.UsageCount), String(c.Shared)]);
  return [
    'Images space usage:\n',
    renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images),
    '\nContainers space usage:\n',
    renderTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers),
    '\nLocal Volumes space usage:\n',
    renderTable(['VOLUME NAME', 'LINKS', 'SIZE'], volumes),
    `\nBuild cache usage: ${buildCacheRow(cache).Size}\n`,
    renderTable(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], cacheRows),
  ].join('\n');
}

export function defineSystemDf(parent: Command, ctx: CliContext): Command {
  return parent
    .command('df')
    .description('Show Berth disk usage')
    .option('--format <string>', "format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('-v, --verbose', 'show detailed information on space usage')
    .action(async (opts: { format?: string; verbose?: boolean }) => {
      const du = await ctx.client.json<DiskUsage>({ method: 'GET', path: '/system/df' });
      if (opts.verbose && !opts.format) {
        ctx.out(verboseDiskUsage(du));
        return;
      }
      const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
      ctx.out(formatForCli(opts.format, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', diskUsageRows(du), headers));
    });
}
