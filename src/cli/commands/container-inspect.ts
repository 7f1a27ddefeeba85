/**
 * `berth container inspect` (`-f`, `-s`), and the inspect call other commands make first
 * (logs, exec, attach, start -a read Config.Tty and the state from it, as docker does).
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { compileTemplate } from '../format/go-template.js';
import { containerPath } from './container-attach-io.js';

/** The parts of `GET /containers/{id}/json` the CLI itself reads. */
export interface ContainerInspect {
  Id: string;
  Name?: string;
  Config?: { Tty?: boolean; OpenStdin?: boolean };
  HostConfig?: { AutoRemove?: boolean };
  State?: { Running?: boolean; Paused?: boolean; Restarting?: boolean };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

export function inspectContainer(ctx: CliContext, name: string, size = false): Promise<ContainerInspect> {
  return ctx.client.json<ContainerInspect>({ method: 'GET', path: containerPath(name, 'json'), query: { size: size || undefined } });
}

/** docker prints a JSON array with 4-space indentation, or the template once per object. */
export function printInspected(ctx: CliContext, objects: unknown[], format: string | undefined): void {
  if (format) {
    const tpl = compileTemplate(format);
    for (const o of objects) ctx.out(tpl.execute(o));
    return;
  }
  ctx.out(JSON.stringify(objects, null, 4));
}

export function defineContainerInspect(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Display detailed information on one or more containers')
    .argument('<container...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes')
    .action(async (names: string[], opts: { format?: string; size?: boolean }) => {
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try {
          found.push(await ctx.client.json({ method: 'GET', path: containerPath(n, 'json'), query: { size: opts.size === true || undefined } }));
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) errors.push(`Error: ${err.message}`);
          else throw err;
        }
      }
      printInspected(ctx, found, opts.format);
      if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    });
}
