import { spawn } from 'node:child_process';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { CliExit } from '../cli-context.js';

/**
 * `berth registry serve|gc`: the registry is a program of its own (src/registry), run as a child
 * with this CLI's Node; the CLI only starts it and passes signals on.
 */
export function registerRegistryCommand(program: Command): void {
  program
    .command('registry')
    .description("Run Berth's image registry (serve, gc); see 'berth registry serve --help'")
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      // Unbundled this module is dist/src/cli/commands/; in the CLI bundle (scripts/bundle.mjs)
      // it is part of dist/src/bin/berth.bundle.cjs, beside the registry's entry point.
      const here = import.meta.dirname;
      const entry = basename(here) === 'bin' ? join(here, 'berth-registry.js') : join(here, '../../bin/berth-registry.js');
      const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
      const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (code !== 0) throw new CliExit(code);
    });
}
