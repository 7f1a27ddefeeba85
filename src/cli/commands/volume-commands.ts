/** `berth volume create|inspect|rm|prune` (ls is in volume-list.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson, UsageError } from '../command-kit.js';
import { confirmRemoval } from '../confirm-prompt.js';
import { humanSize } from '../../core/human-units.js';
import { forEachName } from './for-each-name.js';
import { inspectEach } from './inspect-output.js';
import { defineVolumeList, type VolumeView } from './volume-list.js';

function keyValues(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0 && flag === '--opt') throw new UsageError(`invalid argument "${item}" for "${flag}" flag: invalid key value pair format in driver options`);
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

function defineCreate(parent: Command, ctx: CliContext): Command {
  return parent
    .command('create')
    .argument('[volume]')
    .usage('[OPTIONS] [VOLUME]')
    .description('Create a volume')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <label>', 'Set metadata for a volume', collect)
    .option('-o, --opt <option>', 'Set driver specific options', collect)
    .option('--name <string>', 'Specify volume name')
    .action(async (arg: string | undefined, opts: { driver: string; label?: string[]; opt?: string[]; name?: string }) => {
      if (arg && opts.name && arg !== opts.name) throw new UsageError(`conflicting options: either specify --name or provide positional arg, not both`);
      const body = { Name: arg ?? opts.name ?? '', Driver: opts.driver, DriverOpts: keyValues(opts.opt, '--opt'), Labels: keyValues(opts.label, '--label') };
      const v = await ctx.client.json<VolumeView>({ method: 'POST', path: '/volumes/create', body });
      ctx.out(v.Name);
    });
}

function defineInspect(parent: Command, ctx: CliContext): Command {
  return parent
    .command('inspect')
    .argument('<volume...>')
    .description('Display detailed information on one or more volumes')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (names: string[], opts: { format?: string }) => {
      await inspectEach(ctx, names, opts.format, (n) => ctx.client.json({ method: 'GET', path: `/volumes/${encodeURIComponent(n)}` }));
    });
}

function defineRemove(parent: Command, ctx: CliContext): Command {
  return parent
    .command('rm')
    .alias('remove')
    .argument('<volume...>')
    .description('Remove one or more volumes')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], opts: { force?: boolean }) => {
      await forEachName(ctx, names, async (n) => void (await ctx.client.json({ method: 'DELETE', path: `/volumes/${encodeURIComponent(n)}`, query: { force: opts.force ? '1' : undefined } })));
    });
}

function definePrune(parent: Command, ctx: CliContext): Command {
  return parent
    .command('prune')
    .usage('[OPTIONS]')
    .description('Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', "Provide filter values (e.g. 'label=<label>')", collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (opts: { all?: boolean; filter?: string[]; force?: boolean }) => {
      const what = opts.all ? 'all local volumes' : 'anonymous local volumes';
      if (!(await confirmRemoval(ctx, `${what} not used by at least one container`, opts.force))) return;
      const filters = [...(opts.filter ?? []), ...(opts.all ? ['all=true'] : [])];
      const report = await ctx.client.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>({ method: 'POST', path: '/volumes/prune', query: { filters: filtersJson(filters) } });
      const deleted = report.VolumesDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Volumes:\n${deleted.join('\n')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0, 4)}`);
    });
}

/** docker's `volume` command group. */
export function registerVolumeCommands(program: Command, ctx: CliContext): void {
  const volume = program.command('volume').description('Manage volumes');
  defineCreate(volume, ctx);
  defineVolumeList(volume, ctx, 'ls').alias('list');
  defineInspect(volume, ctx);
  defineRemove(volume, ctx);
  definePrune(volume, ctx);
}
