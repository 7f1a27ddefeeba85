import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';
import { confirmRemoval } from '../confirm-prompt.js';
import { formatForCli } from '../format/table.js';
import { inspectEach } from './inspect-output.js';
import { humanSize, sinceText, truncateId } from '../../core/human-units.js';

export function defineImageInspect(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<image...>')
    .description('Display detailed information on one or more images')
    .option('-f, --format <string>', 'format output using a custom template')
    .action(async (names: string[], opts: { format?: string }) => {
      await inspectEach(ctx, names, opts.format, (n) => ctx.client.json({ method: 'GET', path: `/images/${encodeName(n)}/json` }));
    });
}

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

export function defineHistory(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<image>')
    .description('Show the history of an image')
    .option('--format <string>', 'format output using a custom template')
    .option('-H, --human [bool]', 'print sizes and dates in human readable format', true)
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .action(async (image: string, opts: { format?: string; trunc: boolean; quiet?: boolean }) => {
      const items = await ctx.client.json<HistoryItem[]>({ method: 'GET', path: `/images/${encodeName(image)}/history` });
      const noTrunc = !opts.trunc;
      const rows = items.map((h) => ({
        ID: h.Id === '<missing>' ? h.Id : truncateId(h.Id, noTrunc),
        CreatedSince: sinceText(h.Created),
        CreatedAt: new Date(h.Created * 1000).toISOString().replace('.000Z', 'Z'),
        CreatedBy: noTrunc || h.CreatedBy.length <= 45 ? h.CreatedBy : `${h.CreatedBy.slice(0, 44)}…`,
        Size: humanSize(h.Size),
        Comment: h.Comment,
      }));
      if (opts.quiet) {
        for (const r of rows) ctx.out(r.ID);
        return;
      }
      const headers = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
      ctx.out(formatForCli(opts.format, 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', rows, headers));
    });
}

export function defineRmi(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<image...>')
    .description('Remove one or more images')
    .option('-f, --force', 'force removal of the image')
    .option('--no-prune', 'do not delete untagged parents')
    .action(async (images: string[], opts: { force?: boolean; prune: boolean }) => {
      const errors: string[] = [];
      for (const image of images) {
        try {
          const items = await ctx.client.json<Array<{ Untagged?: string; Deleted?: string }>>({
            method: 'DELETE',
            path: `/images/${encodeName(image)}`,
            query: { force: opts.force ? '1' : undefined, noprune: opts.prune ? undefined : '1' },
          });
          for (const i of items) ctx.out(i.Untagged !== undefined ? `Untagged: ${i.Untagged}` : `Deleted: ${i.Deleted ?? ''}`);
        } catch (err) {
          if (err instanceof ApiError) errors.push(`Error response from daemon: ${err.message}`);
          else throw err;
        }
      }
      if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    });
}

export function defineTag(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<source>', 'SOURCE_IMAGE[:TAG]')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .action(async (source: string, target: string) => {
      const { repo, tag } = splitRepoTag(target);
      await ctx.client.noContent({ method: 'POST', path: `/images/${encodeName(source)}/tag`, query: { repo, tag } });
    });
}

export function defineImagePrune(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .description('Remove unused images')
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('--filter <filter>', "provide filter values (e.g. 'until=<timestamp>')", collect)
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (opts: { all?: boolean; filter?: string[]; force?: boolean }) => {
      const what = opts.all ? 'all images without at least one container associated to them' : 'all dangling images';
      if (!(await confirmRemoval(ctx, what, opts.force))) return;
      const filters = [...(opts.filter ?? []), ...(opts.all ? ['dangling=false'] : ['dangling=true'])];
      const report = await ctx.client.json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>({
        method: 'POST',
        path: '/images/prune',
        query: { filters: filtersJson(filters) },
      });
      const deleted = report.ImagesDeleted ?? [];
      if (deleted.length > 0) {
        ctx.out('Deleted Images:');
        for (const i of deleted) ctx.out(i.Untagged !== undefined ? `untagged: ${i.Untagged}` : `deleted: ${i.Deleted ?? ''}`);
        ctx.out('');
      }
      ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed, 4)}`);
    });
}

/** `repo:tag` → parts; a `:` inside a registry host (`localhost:5000/x`) is not a tag. */
export function splitRepoTag(ref: string): { repo: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

/** Image names go into the path as they are, `/` included, as the docker CLI sends them. */
export function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

