/**
 * The CLI's top-level commands by the module that defines them, each loaded on demand. Every
 * berth command is a new process: building commander's whole tree (about 200 commands and
 * their flags) and evaluating every command's code cost each one about 20 ms, while a command
 * needs its own group alone. The bundle (scripts/bundle.mjs) puts each group in a chunk of its
 * own. command-groups.test.ts checks the names below against what each group registers.
 */
import type { Command } from 'commander';
import type { CliContext } from './cli-context.js';

export interface CommandGroup {
  /** The top-level commands (and aliases) the group registers. */
  names: readonly string[];
  /**
   * The group's module, loaded; the function defines its commands on the program: all of them,
   * or with `only` (the command word of a run, one of `names`) at least that one.
   */
  load(): Promise<(program: Command, ctx: CliContext, only?: string) => void>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ['system', 'events', 'version', 'info'], load: async () => (await import('./commands/system-commands.js')).registerSystemCommands },
  {
    names: ['image', 'images', 'build', 'history', 'rmi', 'tag', 'import', 'save', 'load', 'inspect', 'pull', 'push', 'login', 'logout', 'search'],
    load: async () => (await import('./commands/image-commands.js')).registerImageCommands,
  },
  {
    names: ['container', 'attach', 'commit', 'cp', 'create', 'diff', 'exec', 'export', 'kill', 'logs', 'pause', 'port', 'rename', 'restart', 'run', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait', 'rm', 'ps'],
    load: async () => (await import('./commands/container-commands.js')).registerContainerCommands,
  },
  { names: ['volume'], load: async () => (await import('./commands/volume-commands.js')).registerVolumeCommands },
  { names: ['network'], load: async () => (await import('./commands/network-commands.js')).registerNetworkCommands },
  { names: ['registry'], load: async () => (await import('./commands/registry-command.js')).registerRegistryCommand },
  { names: ['which', 'host-ps'], load: async () => (await import('./commands/host-processes.js')).registerHostProcessCommands },
  { names: ['ui'], load: async () => (await import('./commands/dashboard.js')).registerDashboardCommand },
];

/** berth's global options that take a value: their value is not the command word. */
const VALUED_GLOBALS = new Set(['-H', '--host', '-l', '--log-level']);

/**
 * The command word `argv` names (the first word after berth's global options), or undefined
 * when there is none to go by: no command, help, `--`, or a global flag berth does not know.
 */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (VALUED_GLOBALS.has(a)) i++;
      else if (!/^(-D|--debug|(--host|--log-level)=.*)$/.test(a)) return undefined;
      continue;
    }
    return a;
  }
  return undefined;
}

/**
 * The group of the command `argv` names, or undefined when every group is needed: no command,
 * help, a word no group knows (its error lists them), or a global flag berth does not know.
 */
export function groupFor(argv: readonly string[]): CommandGroup | undefined {
  const word = commandWord(argv);
  return word === undefined ? undefined : COMMAND_GROUPS.find((g) => g.names.includes(word));
}
