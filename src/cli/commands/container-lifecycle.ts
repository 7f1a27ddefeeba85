/**
 * State-changing verbs on one or more containers: stop, kill, restart, rm, pause, unpause,
 * wait, rename. As in docker, the calls run in parallel, each name that succeeded is printed in
 * argument order, each failure becomes an `Error response from daemon: …` line on stderr, and
 * the CLI exits 1 if any failed.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { UsageError } from '../command-kit.js';
import { containerPath } from './container-attach-io.js';
import { errorText } from './container-create.js';
import { forEachName } from './for-each-name.js';

const post = (ctx: CliContext, name: string, verb: string, query: Record<string, string | undefined> = {}): Promise<number> =>
  ctx.client.noContent({ method: 'POST', path: containerPath(name, verb), query });

/** `-t/--timeout` (and the older `--time`): only sent when given, so the container's own applies. */
function timeoutOf(opts: { timeout?: string; time?: string }): string | undefined {
  const t = opts.timeout ?? opts.time;
  if (t !== undefined && !/^-?\d+$/.test(t)) throw new UsageError(`invalid argument "${t}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
  return t;
}

export function defineStop(parent: Command, ctx: CliContext, name: string, verb: 'stop' | 'restart'): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description(verb === 'stop' ? 'Stop one or more running containers' : 'Restart one or more containers')
    .argument('<container...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --timeout <int>', 'Seconds to wait before killing the container')
    .option('--time <int>', 'Seconds to wait before killing the container (deprecated: use --timeout)')
    .action(async (names: string[], opts: { signal?: string; timeout?: string; time?: string }) => {
      const t = timeoutOf(opts);
      await forEachName(ctx, names, async (n) => {
        await post(ctx, n, verb, { signal: opts.signal, t });
        return undefined;
      });
    });
}

export function defineKill(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action(async (names: string[], opts: { signal?: string }) => {
      await forEachName(ctx, names, async (n) => {
        await post(ctx, n, 'kill', { signal: opts.signal });
        return undefined;
      });
    });
}

export function definePause(parent: Command, ctx: CliContext, name: string, verb: 'pause' | 'unpause'): Command {
  return parent
    .command(name)
    .usage('CONTAINER [CONTAINER...]')
    .description(verb === 'pause' ? 'Pause all processes within one or more containers' : 'Unpause all processes within one or more containers')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await forEachName(ctx, names, async (n) => {
        await post(ctx, n, verb);
        return undefined;
      });
    });
}

export function defineRm(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(async (names: string[], opts: { force?: boolean; link?: boolean; volumes?: boolean }) => {
      await forEachName(
        ctx,
        names,
        async (n) => {
          const id = n.replace(/^\/+|\/+$/g, '');
          if (id === '') throw new UsageError('container name cannot be empty');
          // A link's name is `parent/alias`: its slash stays a path separator, as the docker CLI sends it.
          await ctx.client.noContent({
            method: 'DELETE',
            path: `/containers/${opts.link === true ? id.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(id)}`,
            query: { v: opts.volumes === true || undefined, force: opts.force === true || undefined, link: opts.link === true || undefined },
          });
          return undefined;
        },
        opts.force === true ? { notFound: 'report' } : {},
      );
    });
}

export function defineWait(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('CONTAINER [CONTAINER...]')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (names: string[]) => {
      const errors: string[] = [];
      for (const n of names) {
        try {
          const r = await ctx.client.json<{ StatusCode?: number; Error?: { Message?: string } | null }>({ method: 'POST', path: containerPath(n, 'wait') });
          if (r.Error?.Message) errors.push(r.Error.Message);
          else ctx.out(String(r.StatusCode ?? 0));
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          errors.push(errorText(err));
        }
      }
      if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    });
}

export function defineRename(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('CONTAINER NEW_NAME')
    .description('Rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(async (oldName: string, newName: string) => {
      const from = oldName.trim();
      const to = newName.trim();
      if (from === '' || to === '') throw new CliExit(1, 'Error: Neither old nor new names may be empty');
      try {
        await post(ctx, from, 'rename', { name: to });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        throw new CliExit(1, `${errorText(err)}\nError: failed to rename container named ${from}`);
      }
    });
}
