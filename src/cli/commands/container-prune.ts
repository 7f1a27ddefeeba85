/** `berth container prune`: removes stopped containers after docker's confirmation prompt. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';
import { confirmRemoval } from '../confirm-prompt.js';
import { humanSize } from '../../core/human-units.js';

export function defineContainerPrune(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS]')
    .description('Remove all stopped containers')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (opts: { filter?: string[]; force?: boolean }) => {
      if (!(await confirmRemoval(ctx, 'all stopped containers', opts.force))) return;
      const report = await ctx.client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>({
        method: 'POST',
        path: '/containers/prune',
        query: { filters: filtersJson(opts.filter) },
      });
      const deleted = report.ContainersDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Containers:\n${deleted.join('\n')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0, 4)}`);
    });
}
