/**
 * `berth ps` / `berth container ls` (docker list.go + formatter/container.go): one row per
 * container with docker's fields and rendering (quoted, ellipsized COMMAND; names without the
 * leading `/`; ports grouped into ranges; `0B (virtual 1.98MB)` sizes).
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson, UsageError } from '../command-kit.js';
import { goQuote } from '../format/go-template-strconv.js';
import { ellipsis, formatForCli } from '../format/table.js';
import { goTimeString, humanSize, sinceText, truncateId } from '../../core/human-units.js';
import { displayablePorts, type PortSummary } from './container-ports.js';
import { listRemoved } from './container-removed.js';

export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  Mounts?: Array<{ Name?: string; Source?: string; Driver?: string }> | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}

export { ellipsis };

function imageText(c: ContainerSummary, trunc: boolean): string {
  const image = c.Image ?? '';
  if (image === '') return '<no image>';
  if (!trunc) return image;
  if (/^(sha256:)?[0-9a-f]{64}$/.test(image)) return truncateId(image, false);
  // A tagged reference with a digest shows without the digest.
  const at = image.indexOf('@');
  if (at > 0 && image.slice(0, at).lastIndexOf(':') > image.slice(0, at).lastIndexOf('/')) return image.slice(0, at);
  return image;
}

function namesText(c: ContainerSummary, trunc: boolean): string {
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  if (trunc) {
    // Extra names come from legacy links (`other/alias`); docker shows the container's own.
    const own = names.find((n) => !n.includes('/'));
    if (own !== undefined) return own;
  }
  return names.join(',');
}

/** A row as docker's ContainerContext renders it; `{{.Label "k"}}` works as a method. */
export class ContainerRow {
  readonly ID: string;
  readonly Image: string;
  readonly Command: string;
  readonly CreatedAt: string;
  readonly RunningFor: string;
  readonly Ports: string;
  readonly State: string;
  readonly Status: string;
  readonly Size: string;
  readonly Names: string;
  readonly Labels: string;
  readonly Mounts: string;
  readonly LocalVolumes: string;
  readonly Networks: string;
  readonly #labels: Record<string, string>;

  constructor(c: ContainerSummary, trunc: boolean, now = Date.now()) {
    this.#labels = c.Labels ?? {};
    this.ID = truncateId(c.Id, !trunc);
    this.Image = imageText(c, trunc);
    this.Command = goQuote(trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? ''));
    this.CreatedAt = goTimeString(c.Created ?? 0);
    this.RunningFor = sinceText(c.Created ?? 0, now);
    this.Ports = displayablePorts(c.Ports ?? []);
    this.State = c.State ?? '';
    this.Status = c.Status ?? '';
    const srw = humanSize(c.SizeRw ?? 0);
    this.Size = (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : srw;
    this.Names = namesText(c, trunc);
    this.Labels = Object.keys(this.#labels).sort().map((k) => `${k}=${this.#labels[k] ?? ''}`).join(',');
    this.Mounts = (c.Mounts ?? []).map((m) => (m.Name ? m.Name : (m.Source ?? ''))).map((n) => (trunc ? ellipsis(n, 15) : n)).join(',');
    this.LocalVolumes = String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
    this.Networks = Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(',');
  }

  Label(name: string): string {
    return this.#labels[name] ?? '';
  }

  /** `{{json .}}`: the fields, as docker marshals its context (methods without arguments). */
  toJSON(): Record<string, string | null> {
    const { ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels, Mounts, LocalVolumes, Networks } = this;
    // Platform: docker 28 adds the image manifest's platform, null when the daemon sends none.
    return { Command, CreatedAt, ID, Image, Labels, LocalVolumes, Mounts, Names, Networks, Platform: null, Ports, RunningFor, Size, State, Status };
  }
}

export const CONTAINER_HEADERS = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS',
};

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

interface PsFlags {
  all?: boolean;
  filter?: string[];
  format?: string;
  last?: string;
  latest?: boolean;
  trunc: boolean;
  quiet?: boolean;
  size?: boolean;
  removed?: boolean;
}

export function definePs(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS]')
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('-n, --last <int>', 'Show n last created containers (includes all states) (default -1)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .option('--removed', 'List removed containers whose record Berth keeps (exit code and reason, when removed)')
    .action(async (opts: PsFlags) => {
      let limit = opts.last === undefined ? -1 : Number(opts.last);
      if (!Number.isInteger(limit)) throw new UsageError(`invalid argument "${opts.last ?? ''}" for "-n, --last" flag: strconv.ParseInt: parsing "${opts.last ?? ''}": invalid syntax`);
      if (opts.latest === true && limit === -1) limit = 1;
      if (opts.removed === true) {
        await listRemoved(ctx, { filters: filtersJson(opts.filter), limit, trunc: opts.trunc, quiet: opts.quiet === true, format: opts.format });
        return;
      }
      // docker asks for sizes when a custom format uses .Size (they are costly to compute).
      const wantSize = opts.size === true || (opts.quiet !== true && opts.format !== undefined && /\.Size\b/.test(opts.format));
      const list = await ctx.client.json<ContainerSummary[]>({
        method: 'GET',
        path: '/containers/json',
        query: { all: opts.all === true || undefined, limit: limit > 0 ? limit : undefined, size: wantSize || undefined, filters: filtersJson(opts.filter) },
      });
      const rows = list.map((c) => new ContainerRow(c, opts.trunc));
      if (opts.quiet === true) {
        for (const r of rows) ctx.out(r.ID);
        return;
      }
      const table = opts.size === true ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
      ctx.out(formatForCli(opts.format, table, rows, CONTAINER_HEADERS));
    });
}
