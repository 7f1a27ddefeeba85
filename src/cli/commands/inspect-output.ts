/** What every inspect command shares: the loop over names and docker's output and errors. */
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { compileTemplate } from '../format/go-template.js';

/** docker prints a JSON array with 4-space indentation, or the template once per object. */
export function printInspected(ctx: CliContext, objects: unknown[], format: string | undefined): void {
  if (format) {
    const tpl = compileTemplate(format);
    for (const o of objects) ctx.out(tpl.execute(o));
    return;
  }
  ctx.out(JSON.stringify(objects, null, 4));
}

export type Fetch = (name: string) => Promise<unknown>;

/**
 * Inspects every name, prints what was found (JSON array or the template per object), then fails
 * with one line per name that was not found, as docker does. Other errors stop at once.
 */
export async function inspectEach(ctx: CliContext, names: string[], format: string | undefined, fetch: Fetch): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      if (err instanceof NotFoundLine) errors.push(err.message);
      else if (err instanceof ApiError && err.status === 404) errors.push(`Error response from daemon: ${err.message}`);
      else throw err;
    }
  }
  printInspected(ctx, found, format);
  if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
}

/** A not-found line the CLI words itself (the generic inspect's "No such object"). */
export class NotFoundLine extends Error {
  override name = 'NotFoundLine';
}

