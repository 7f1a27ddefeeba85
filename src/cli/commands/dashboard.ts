/** `berth ui`: the web dashboard's login URL (`GET /berth/v1/ui`), and a browser when asked. */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

interface DashboardAccess {
  URL: string;
  Token: string;
  LoginURL: string;
}

export function registerDashboardCommand(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('Print the URL (with its login token) of the web dashboard berthd serves with --ui')
    .option('--open', 'also open it in the desktop browser (xdg-open)')
    .option('--token', 'print only the token')
    .action(async (opts: { open?: boolean; token?: boolean }) => {
      const a = await ctx.client.json<DashboardAccess>({ method: 'GET', path: '/berth/v1/ui' });
      ctx.out(opts.token ? a.Token : a.LoginURL);
      if (opts.open) {
        // Detached: the browser outlives this command; a missing xdg-open is said, not thrown.
        const child = spawn('xdg-open', [a.LoginURL], { stdio: 'ignore', detached: true });
        child.on('error', (err) => ctx.stderr.write(`cannot open a browser (${err.message}): open the URL above yourself\n`));
        child.unref();
      }
    });
}
