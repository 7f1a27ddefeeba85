import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { humanSize } from '../../core/human-units.js';
import type { BudgetStatus } from '../../api/types/berth.js';

/** The text of `berth system budget`, from `GET /berth/v1/budget`. */
export function budgetText(s: BudgetStatus): string {
  if (!s.enabled) return 'No storage budget is set: nothing is ever removed to free disk (set "storage-budget" in daemon.json, or berthd --storage-budget high=80%,low=70%).\n';
  const of = s.measure === 'filesystem' ? `of the data root's filesystem (${humanSize(s.filesystemSize ?? 0)})` : 'taken by the data root';
  const lines = [
    `High mark:   ${s.high?.mark} (${humanSize(s.high?.bytes ?? 0)} ${of})`,
    `Low mark:    ${s.low?.mark} (${humanSize(s.low?.bytes ?? 0)})`,
    `Usage:       ${humanSize(s.usage ?? 0)}`,
    `Grace:       ${s.graceSeconds}s after a pull, load, build or tag`,
    `Running:     ${s.running ? 'yes' : 'no'}`,
    'Reclaimable, in the order the budget frees:',
    ...(s.reclaimable ?? []).map((r) => `  ${r.kind.padEnd(34)} ${humanSize(r.bytes)}`),
  ];
  const last = s.lastRun;
  if (!last) lines.push('Last run:    never');
  else {
    lines.push(`Last run:    ${last.finished} (after ${last.trigger}): freed ${humanSize(last.freed)}, ${humanSize(last.usageBefore)} -> ${humanSize(last.usageAfter)}${last.error ? `; failed: ${last.error}` : ''}`);
    for (const step of last.steps) lines.push(`  ${step.kind.padEnd(34)} ${humanSize(step.freed)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `info`'s line on the budget; none when the daemon has no such route (a dockerd). */
export async function budgetLine(ctx: CliContext): Promise<string[]> {
  const s = await ctx.client.json<BudgetStatus>({ method: 'GET', path: '/berth/v1/budget' }).catch(() => undefined);
  if (!s) return [];
  if (!s.enabled) return [' Storage Budget: off'];
  return [` Storage Budget: high ${s.high?.mark} (${humanSize(s.high?.bytes ?? 0)}), low ${s.low?.mark} (${humanSize(s.low?.bytes ?? 0)}), using ${humanSize(s.usage ?? 0)}`];
}

export function defineSystemBudget(parent: Command, ctx: CliContext): Command {
  return parent
    .command('budget')
    .description('Show the disk budget: marks, usage, what it can free and its last run')
    .option('--format <string>', "'json' for the raw status")
    .action(async (opts: { format?: string }) => {
      const status = await ctx.client.json<BudgetStatus>({ method: 'GET', path: '/berth/v1/budget' });
      ctx.out(opts.format === 'json' ? `${JSON.stringify(status)}\n` : budgetText(status));
    });
}

/** `berth system check`: the image store's integrity; exit 1 with the problems when it is not whole. */
export function defineSystemCheck(parent: Command, ctx: CliContext): Command {
  return parent
    .command('check')
    .description("Check the image store's integrity: every image's config, blobs and layers present")
    .action(async () => {
      const { problems } = await ctx.client.json<{ problems: string[] }>({ method: 'GET', path: '/berth/v1/check' });
      if (problems.length === 0) {
        ctx.out('The image store is whole: every image has its config, blobs and layers.\n');
        return;
      }
      for (const p of problems) ctx.err(p);
      throw new CliExit(1);
    });
}
