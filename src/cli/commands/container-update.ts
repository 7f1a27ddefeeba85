/** `berth update`: changes a container's restart policy (docker update --restart). */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { containerPath } from './container-attach-io.js';
import { parseRestartPolicy } from './run-host-opts.js';
import { UsageError } from '../command-kit.js';

export function defineUpdate(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Update configuration of one or more containers')
    .argument('<containers...>')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action(async (containers: string[], flags: { restart?: string }) => {
      if (flags.restart === undefined) throw new UsageError('you must provide one or more flags when using this command');
      let policy;
      try {
        policy = parseRestartPolicy(flags.restart);
      } catch (err) {
        throw new UsageError(`invalid argument "${flags.restart}" for "--restart" flag: ${(err as Error).message}`);
      }
      const failures: string[] = [];
      for (const c of containers) {
        try {
          await ctx.client.json({ method: 'POST', path: containerPath(c, 'update'), body: { RestartPolicy: policy } });
          ctx.out(c);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      if (failures.length > 0) throw new CliExit(1, failures.map((m) => `Error response from daemon: ${m}`).join('\n'));
    });
}
