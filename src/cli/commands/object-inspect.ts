/**
 * `berth inspect` (docker cli/command/system/inspect.go) and the per-type inspect commands'
 * shared loop. Without `--type`, each name is tried as a container, then as an image (the object
 * types Berth has so far), and the first found is shown; a name found as neither is "No such
 * object". With `--type`, only that type is asked and the daemon's error is reported as it is.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { containerPath } from './container-attach-io.js';
import { encodeName } from './image-manage.js';
import { inspectEach, NotFoundLine, type Fetch } from './inspect-output.js';
import { orRemoved } from './container-removed.js';

const TYPES = ['container', 'image'] as const;
type ObjectType = (typeof TYPES)[number];

function fetcher(ctx: CliContext, type: ObjectType, size: boolean): Fetch {
  if (type === 'container') return (n) => ctx.client.json({ method: 'GET', path: containerPath(n, 'json'), query: { size: size || undefined } });
  return (n) => ctx.client.json({ method: 'GET', path: `/images/${encodeName(n)}/json` });
}

/** docker's inspectAll: the first type that knows the name wins; a 404 moves on to the next. */
function anyType(ctx: CliContext, size: boolean): Fetch {
  return async (name) => {
    for (const type of TYPES) {
      try {
        return await fetcher(ctx, type, size)(name);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    throw new NotFoundLine(`Error: No such object: ${name}`);
  };
}

export function defineInspect(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] NAME|ID [NAME|ID...]')
    .argument('<name...>')
    .description('Return low-level information on Berth objects')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <string>', 'Only inspect objects of the given type (container, image)')
    .action(async (names: string[], opts: { format?: string; size?: boolean; type?: string }) => {
      const type = opts.type;
      if (type !== undefined && type !== '' && !(TYPES as readonly string[]).includes(type)) {
        throw new CliExit(1, `unknown type: "${type}": must be one of ${TYPES.map((t) => `"${t}"`).join(', ')}`);
      }
      const size = opts.size === true;
      // A removed container's kept record answers when no live object has the name.
      const fetch = type ? fetcher(ctx, type as ObjectType, size) : anyType(ctx, size);
      await inspectEach(ctx, names, opts.format, type === undefined || type === '' || type === 'container' ? orRemoved(ctx, fetch) : fetch);
    });
}
