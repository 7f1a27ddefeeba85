/**
 * Writes docs/cli.md from the berth CLI's own command definitions, so the reference cannot drift;
 * test/unit/cli-docs.test.ts fails when the file is stale (`npm run docs:cli` refreshes it).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliContext } from '../src/cli/cli-context.js';
import { buildProgram } from '../src/cli/program.js';

const REPO = resolve(import.meta.dirname, '../..');
export const CLI_DOC = join(REPO, 'docs/cli.md');

function usage(cmd: Command, path: string): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
  return `berth ${path}${cmd.options.length > 0 ? ' [OPTIONS]' : ''}${args.length ? ' ' + args.join(' ') : ''}`;
}

function section(cmd: Command, path: string, out: string[]): void {
  if (cmd.commands.length > 0 && cmd.registeredArguments.length === 0 && cmd.options.length === 0) {
    out.push(`## berth ${path}`, '', cmd.description(), '');
  } else {
    const aliases = cmd.aliases();
    out.push(`### berth ${path}`, '', cmd.description(), '', '```', usage(cmd, path), '```', '');
    if (aliases.length > 0) out.push(`Aliases: ${aliases.map((a) => `\`${a}\``).join(', ')}`, '');
    if (cmd.options.length > 0) {
      out.push('| option | description |', '|---|---|');
      for (const o of cmd.options) out.push(`| \`${o.flags.replace(/\|/g, '\\|')}\` | ${o.description.replace(/\|/g, '\\|')} |`);
      out.push('');
    }
  }
  for (const sub of [...cmd.commands].sort((a, b) => a.name().localeCompare(b.name()))) section(sub, `${path} ${sub.name()}`.trim(), out);
}

export async function generateCliDocs(): Promise<string> {
  const program = await buildProgram(new CliContext(() => undefined), {});
  const out = [
    '# berth CLI reference',
    '',
    'Generated from the CLI definitions by `npm run docs:cli`. berth follows the docker CLI: the',
    'same commands, flags, output and exit codes (1 for daemon errors, 125 for usage errors).',
    'It connects to `-H unix:///path`, else `$BERTH_HOST`, else `$DOCKER_HOST`, else',
    '`unix:///run/berth/berth.sock`. `$DOCKER_API_VERSION` (like `1.41`) pins the API version as it',
    'does for docker: no negotiation, every request under that version.',
    '',
    'Every command and flag below is the docker CLI\'s, with its meaning (the descriptions are docker\'s):',
    '`test/compat/cli-flags.test.ts` checks each against `docker <command> --help`, long and short',
    'form. `berth image bootstrap` is Berth\'s own; docker flags berth lacks are listed in',
    '[compatibility.md](compatibility.md).',
    '',
    '| global option | description |',
    '|---|---|',
    ...program.options.map((o) => `| \`${o.flags}\` | ${o.description} |`),
    '',
  ];
  for (const cmd of [...program.commands].sort((a, b) => a.name().localeCompare(b.name()))) section(cmd, cmd.name(), out);
  return out.join('\n');
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  await writeFile(CLI_DOC, await generateCliDocs());
  process.stdout.write(`wrote ${CLI_DOC}\n`);
}
