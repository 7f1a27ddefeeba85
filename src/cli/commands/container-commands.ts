import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { defineAttach } from './container-attach.js';
import { defineCommit, defineExport } from './container-commit.js';
import { defineCp } from './container-cp.js';
import { defineCreate } from './container-create.js';
import { defineExec } from './container-exec.js';
import { defineDiff, defineTop } from './container-info.js';
import { defineContainerInspect } from './container-inspect.js';
import { defineKill, definePause, defineRename, defineRm, defineStop, defineWait } from './container-lifecycle.js';
import { definePs } from './container-list.js';
import { defineLogs } from './container-logs.js';
import { definePort } from './container-ports.js';
import { defineContainerPrune } from './container-prune.js';
import { defineRun } from './container-run.js';
import { defineStart } from './container-start.js';
import { defineStats } from './container-stats.js';
import { defineUpdate } from './container-update.js';

type Define = (parent: Command, ctx: CliContext, name: string) => Command;

/** Verbs that exist both as `berth container VERB` and as docker's classic top-level alias. */
const SHARED: Array<[string, Define]> = [
  ['attach', defineAttach],
  ['commit', defineCommit],
  ['cp', defineCp],
  ['create', defineCreate],
  ['diff', defineDiff],
  ['exec', defineExec],
  ['export', defineExport],
  ['kill', defineKill],
  ['logs', defineLogs],
  ['pause', (p, c, n) => definePause(p, c, n, 'pause')],
  ['port', definePort],
  ['rename', defineRename],
  ['restart', (p, c, n) => defineStop(p, c, n, 'restart')],
  ['run', defineRun],
  ['start', defineStart],
  ['stats', defineStats],
  ['stop', (p, c, n) => defineStop(p, c, n, 'stop')],
  ['top', defineTop],
  ['unpause', (p, c, n) => definePause(p, c, n, 'unpause')],
  ['update', defineUpdate],
  ['wait', defineWait],
];

/**
 * docker's container commands: `berth container VERB` and the top-level aliases (`berth run`,
 * `berth ps`…); with `only` (command-groups.ts), just that top-level command.
 */
export function registerContainerCommands(program: Command, ctx: CliContext, only?: string): void {
  const wanted = (name: string): boolean => only === undefined || only === name;
  if (wanted('container')) {
    // run/exec/top stop parsing at their first positional, which commander allows only when
    // every parent enables positional options.
    const container = program.command('container').description('Manage containers').enablePositionalOptions();
    for (const [name, define] of SHARED) define(container, ctx, name);
    defineRm(container, ctx, 'rm').alias('remove');
    definePs(container, ctx, 'ls').aliases(['list', 'ps']);
    defineContainerInspect(container, ctx, 'inspect');
    defineContainerPrune(container, ctx, 'prune');
  }

  for (const [name, define] of SHARED) if (wanted(name)) define(program, ctx, name);
  if (wanted('rm')) defineRm(program, ctx, 'rm');
  if (wanted('ps')) definePs(program, ctx, 'ps');
}
