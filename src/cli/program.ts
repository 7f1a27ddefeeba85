import { Command, CommanderError } from 'commander';
import { ApiError, ConnectionError } from '../client/engine-client.js';
import { CliContext, CliExit } from './cli-context.js';
import { UsageError } from './command-kit.js';
import { COMMAND_GROUPS, commandWord, groupFor } from './command-groups.js';

export const CLI_VERSION = '0.1.0';

/**
 * Builds the `berth` program: docker's command tree and flag syntax. With `argv`, only the
 * commands it names are defined (command-groups.ts says why); without, all of them.
 */
export async function buildProgram(ctx: CliContext, hostRef: { host?: string }, argv?: readonly string[]): Promise<Command> {
  const program = new Command('berth')
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers, Docker-compatible')
    .option('-H, --host <socket>', 'daemon socket to connect to (unix:///path)')
    .option('-D, --debug', 'enable debug mode')
    .option('-l, --log-level <level>', 'set the logging level')
    .version(`Berth version ${CLI_VERSION}`, '-v, --version', 'print version information and quit')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s), outputError: () => undefined });
  program.hook('preAction', (thisCommand) => {
    const host = thisCommand.opts<{ host?: string }>().host;
    if (host !== undefined) hostRef.host = host;
  });
  const one = argv === undefined ? undefined : groupFor(argv);
  const groups = one ? [one] : COMMAND_GROUPS;
  // With one group, only the command named: `run` alone, not the container group's 50 commands
  // and their 550 flags (run's and create's four times over), 8 ms of every run's CPU.
  const only = one && argv ? commandWord(argv) : undefined;
  // Loaded side by side, defined in the table's order: help lists the commands in that order.
  for (const register of await Promise.all(groups.map((g) => g.load()))) register(program, ctx, only);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s), outputError: () => undefined });
  }
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Runs the CLI and returns docker's exit status for what happened. */
export async function runCli(argv: string[], ctx?: CliContext): Promise<number> {
  const hostRef: { host?: string } = {};
  const context = ctx ?? new CliContext(() => hostRef.host);
  const program = await buildProgram(context, hostRef, argv);
  if (argv.length === 0) {
    context.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(context, err, argv);
  }
}

function reportError(ctx: CliContext, err: unknown, argv: string[]): number {
  if (err instanceof CliExit) {
    if (err.message) ctx.err(err.message);
    return err.code;
  }
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code === 'commander.unknownCommand') {
      const name = argv.find((a) => !a.startsWith('-')) ?? '';
      ctx.err(`berth: '${name}' is not a berth command.\nSee 'berth --help'`);
      return 1;
    }
    ctx.err(`${err.message.replace(/^error: /, '')}\nSee 'berth ${commandPath(argv)} --help'.`);
    return 125;
  }
  if (err instanceof UsageError) {
    ctx.err(`${err.message}\nSee 'berth ${commandPath(argv)} --help'.`);
    return 125;
  }
  if (err instanceof ApiError) {
    ctx.err(`Error response from daemon: ${err.message}`);
    return 1;
  }
  if (err instanceof ConnectionError) {
    ctx.err(err.message);
    return 1;
  }
  ctx.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}

function commandPath(argv: string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
    if (words.length === 2) break;
  }
  return words.join(' ');
}
