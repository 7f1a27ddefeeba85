/**
 * `berth system prune` (docker's cli/command/system/prune.go): stopped containers, then unused
 * (anonymous, or with --all every unused) volumes when --volumes, networks, then dangling (or
 * with -a all unused) images; one total at the end.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';
import { confirmRemoval } from '../confirm-prompt.js';
import { humanSize } from '../../core/human-units.js';

interface PruneFlags {
  all?: boolean;
  volumes?: boolean;
  filter?: string[];
  force?: boolean;
}

export function defineSystemPrune(parent: Command, ctx: CliContext): Command {
  return parent
    .command('prune')
    .usage('[OPTIONS]')
    .description('Remove unused data')
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', "Provide filter values (e.g. 'label=<key>=<value>')", collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes')
    .action(async (flags: PruneFlags) => {
      const lines = ['all stopped containers', 'all networks not used by at least one container'];
      if (flags.volumes) lines.push('all anonymous volumes not used by at least one container');
      lines.push(flags.all ? 'all images without at least one container associated to them' : 'all dangling images');
      lines.push('unused build cache');
      if (!(await confirmRemoval(ctx, lines, flags.force))) return;
      const filter = flags.filter ?? [];
      let reclaimed = 0;
      const containers = await ctx.client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>({ method: 'POST', path: '/containers/prune', query: { filters: filtersJson(filter) } });
      reclaimed += containers.SpaceReclaimed ?? 0;
      if ((containers.ContainersDeleted ?? []).length > 0) ctx.out(`Deleted Containers:\n${(containers.ContainersDeleted ?? []).join('\n')}\n`);
      if (flags.volumes) {
        const volumeFilter = filter.filter((f) => !f.startsWith('until='));
        const volumes = await ctx.client.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>({ method: 'POST', path: '/volumes/prune', query: { filters: filtersJson(volumeFilter) } });
        reclaimed += volumes.SpaceReclaimed ?? 0;
        if ((volumes.VolumesDeleted ?? []).length > 0) ctx.out(`Deleted Volumes:\n${(volumes.VolumesDeleted ?? []).join('\n')}\n`);
      }
      // Networks come with bridge networking; a daemon without them has none to prune.
      const networks = await ctx.client.json<{ NetworksDeleted?: string[] | null }>({ method: 'POST', path: '/networks/prune', query: { filters: filtersJson(filter) } }).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return { NetworksDeleted: [] };
        throw err;
      });
      if ((networks.NetworksDeleted ?? []).length > 0) ctx.out(`Deleted Networks:\n${(networks.NetworksDeleted ?? []).join('\n')}\n`);
      const images = await ctx.client.json<{ ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed?: number }>({
        method: 'POST',
        path: '/images/prune',
        query: { filters: filtersJson([...filter, flags.all ? 'dangling=false' : 'dangling=true']) },
      });
      reclaimed += images.SpaceReclaimed ?? 0;
      const deleted = images.ImagesDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Images:\n${deleted.map((i) => (i.Untagged !== undefined ? `untagged: ${i.Untagged}` : `deleted: ${i.Deleted ?? ''}`)).join('\n')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}`);
    });
}
