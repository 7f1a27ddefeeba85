import { createInterface } from 'node:readline';
import type { CliContext } from './cli-context.js';

/** docker's prompt for destructive commands: only y/Y/yes answers yes; no input answers no. */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.stdout.write(question);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/**
 * The docker CLI's prompt before a prune: "WARNING! This will remove <what>." (or a list of
 * what) and the question. True when `force` is set or the user answers yes.
 */
export async function confirmRemoval(ctx: CliContext, what: string | readonly string[], force: boolean | undefined): Promise<boolean> {
  if (force === true) return true;
  const text = typeof what === 'string' ? ` ${what}.` : `:\n${what.map((l) => `  - ${l}`).join('\n')}\n`;
  return await confirm(ctx, `WARNING! This will remove${text}\nAre you sure you want to continue? [y/N] `);
}
