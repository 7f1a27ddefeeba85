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
