/**
 * `berth container inspect` (`-f`, `-s`), and the inspect call other commands make first
 * (logs, exec, attach, start -a read Config.Tty and the state from it, as docker does).
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { containerPath } from './container-attach-io.js';
import { inspectEach } from './inspect-output.js';
import { orRemoved } from './container-removed.js';

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

export function defineContainerInspect(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Display detailed information on one or more containers')
    .argument('<container...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes')
    .action(async (names: string[], opts: { format?: string; size?: boolean }) => {
      await inspectEach(ctx, names, opts.format, orRemoved(ctx, (n) => ctx.client.json({ method: 'GET', path: containerPath(n, 'json'), query: { size: opts.size === true || undefined } })));
    });
}
