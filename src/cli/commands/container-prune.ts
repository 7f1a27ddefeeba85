/** `berth container prune`: removes stopped containers after docker's confirmation prompt. */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';

/** go-units HumanSize (4 significant digits), which prune's total uses. */
export function humanSize4(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  const s = size === 0 ? '0' : size.toPrecision(4);
  const text = s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return `${text}${units[i] ?? 'B'}`;
}

/** docker's prompt: only y/Y/yes answers yes; no input at all answers no. */
async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.stdout.write(question);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export function defineContainerPrune(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS]')
    .description('Remove all stopped containers')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (opts: { filter?: string[]; force?: boolean }) => {
      if (opts.force !== true && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return;
      const report = await ctx.client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>({
        method: 'POST',
        path: '/containers/prune',
        query: { filters: filtersJson(opts.filter) },
      });
      const deleted = report.ContainersDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Containers:\n${deleted.join('\n')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize4(report.SpaceReclaimed ?? 0)}`);
    });
}
