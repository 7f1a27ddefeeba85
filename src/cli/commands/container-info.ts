/**
 * Read-only views of one container: `top` (processes, via the daemon's ps) and `diff`
 * (filesystem changes against the image).
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { displayWidth } from '../format/table.js';
import { containerPath } from './container-attach-io.js';

/**
 * Aligns cells as docker's `tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)` does for `top`: every
 * column but the last is as wide as its widest cell plus 3, and at least 20.
 */
export function alignColumns(lines: readonly (readonly string[])[], minWidth = 20, padding = 3): string {
  const widths: number[] = [];
  for (const line of lines) {
    line.forEach((cell, j) => {
      if (j < line.length - 1) widths[j] = Math.max(widths[j] ?? minWidth, displayWidth(cell) + padding);
    });
  }
  return lines
    .map((line) => line.map((cell, j) => (j < line.length - 1 ? cell + ' '.repeat(Math.max(0, (widths[j] ?? minWidth) - displayWidth(cell))) : cell)).join(''))
    .join('\n');
}

export function defineTop(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('CONTAINER [ps OPTIONS]')
    .description('Display the running processes of a container')
    .argument('<container>')
    .argument('[ps-options...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (container: string, psArgs: string[]) => {
      const top = await ctx.client.json<{ Titles?: string[] | null; Processes?: string[][] | null }>({
        method: 'GET',
        path: containerPath(container, 'top'),
        query: { ps_args: psArgs.length > 0 ? psArgs.join(' ') : undefined },
      });
      const lines = [top.Titles ?? [], ...(top.Processes ?? [])];
      ctx.out(alignColumns(lines));
    });
}

const CHANGE_KINDS = ['C', 'A', 'D'];

export function defineDiff(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('CONTAINER')
    .description("Inspect changes to files or directories on a container's filesystem")
    .argument('<container>')
    .action(async (container: string) => {
      const changes = await ctx.client.json<Array<{ Path: string; Kind: number }> | null>({ method: 'GET', path: containerPath(container, 'changes') });
      for (const c of changes ?? []) ctx.out(`${CHANGE_KINDS[c.Kind] ?? '?'} ${c.Path}`);
    });
}
