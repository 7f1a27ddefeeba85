/**
 * The docker CLI's way with several objects named at once (rm, stop, kill… of containers,
 * networks, volumes): the calls run together, each name that succeeded is printed in argument
 * order, each failure is an `Error response from daemon: …` line on stderr, and the command
 * exits 1 if any failed.
 */
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { UsageError } from '../command-kit.js';
import { errorText } from './container-create.js';

/**
 * Runs `op` for every name and prints its result (else the name). `notFound` makes a 404 no
 * failure: `report` still prints it on stderr (`rm -f` of a container), `ignore` says nothing
 * (`network rm -f`).
 */
export async function forEachName(
  ctx: CliContext,
  names: string[],
  op: (name: string) => Promise<string | undefined | void>,
  opts: { notFound?: 'report' | 'ignore' } = {},
): Promise<void> {
  const results = await Promise.allSettled(names.map((n) => op(n)));
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      ctx.out(r.value ?? names[i] ?? '');
      return;
    }
    const err: unknown = r.reason;
    if (!(err instanceof ApiError) && !(err instanceof UsageError)) throw err;
    if (opts.notFound !== undefined && err instanceof ApiError && err.status === 404) {
      if (opts.notFound === 'report') ctx.err(errorText(err));
    } else errors.push(errorText(err));
  });
  if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
}
