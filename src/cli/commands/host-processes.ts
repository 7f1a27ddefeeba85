/**
 * "Whose process is this?": `berth which PID…` and `berth host-ps`, answered by the daemon's
 * `GET /berth/v1/processes`. PIDs are the daemon's view (the host's PID namespace), which is
 * the CLI's too when both run on the host.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { renderTable } from '../format/table.js';
import { errorText } from './container-create.js';

/** One process as GET /berth/v1/processes answers it. */
interface ProcessEntry {
  Pid: number;
  User: string;
  Command: string;
  Container: { Id: string; Name: string; Image: string; Project?: string; Service?: string } | null;
}

const processes = (ctx: CliContext, pid?: string): Promise<ProcessEntry[]> =>
  ctx.client.json<ProcessEntry[]>({ method: 'GET', path: '/berth/v1/processes', ...(pid !== undefined ? { query: { pid } } : {}) });

export function registerHostProcessCommands(program: Command, ctx: CliContext): void {
  program
    .command('which')
    .description("Show the container each host process belongs to ('host' for none)")
    .argument('<pid...>', 'process IDs as the host sees them')
    .option('--no-trunc', "don't truncate the container ID")
    .action(async (pids: string[], opts: { trunc: boolean }) => {
      const results = await Promise.allSettled(pids.map((pid) => processes(ctx, pid)));
      const rows: string[][] = [];
      const errors: string[] = [];
      for (const r of results) {
        if (r.status === 'rejected') {
          if (!(r.reason instanceof ApiError)) throw r.reason;
          errors.push(errorText(r.reason));
          continue;
        }
        for (const p of r.value) {
          const c = p.Container;
          rows.push(c ? [String(p.Pid), c.Name, opts.trunc ? c.Id.slice(0, 12) : c.Id, c.Image, c.Project ?? '', c.Service ?? ''] : [String(p.Pid), 'host', '', '', '', '']);
        }
      }
      if (rows.length > 0) ctx.out(renderTable(['PID', 'CONTAINER', 'CONTAINER ID', 'IMAGE', 'PROJECT', 'SERVICE'], rows));
      if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    });

  program
    .command('host-ps')
    .description("List the host's processes with the container each belongs to")
    .action(async () => {
      const rows = (await processes(ctx)).map((p) => [String(p.Pid), p.User, p.Container ? p.Container.Name : 'host', p.Command.replace(/[\t\n]/g, ' ')]);
      ctx.out(renderTable(['PID', 'USER', 'CONTAINER', 'COMMAND'], rows));
    });
}
