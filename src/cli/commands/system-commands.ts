import type { Command } from 'commander';
import { CLIENT_API_VERSION } from '../../client/engine-client.js';
import type { CliContext } from '../cli-context.js';
import { compileTemplate } from '../format/go-template.js';
import { humanSize } from '../../core/human-units.js';
import { defineSystemDf } from './system-df.js';
import { defineEvents } from './system-events.js';
import { defineSystemPrune } from './system-prune.js';
import { defineSetupRootless } from './system-setup-rootless.js';
import { budgetLine, defineSystemBudget, defineSystemCheck } from './system-budget.js';

type Obj = Record<string, unknown>;

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  const system = program.command('system').description('Manage Berth');
  defineSystemDf(system, ctx);
  defineEvents(system, ctx, 'events');
  defineSystemPrune(system, ctx);
  defineSystemBudget(system, ctx);
  defineSystemCheck(system, ctx);
  defineSetupRootless(system, ctx);
  defineEvents(program, ctx, 'events');
  program
    .command('version')
    .description('Show the Berth version information')
    .option('-f, --format <string>', 'format output using a custom template')
    .action(async (opts: { format?: string }) => {
      const client = {
        Version: '0.1.0',
        ApiVersion: CLIENT_API_VERSION,
        DefaultAPIVersion: CLIENT_API_VERSION,
        GoVersion: `node ${process.version}`,
        Os: 'linux',
        Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      };
      const server = await ctx.client.json<Obj>({ method: 'GET', path: '/version' });
      if (opts.format) {
        ctx.out(compileTemplate(opts.format).execute({ Client: client, Server: server }));
        return;
      }
      ctx.out(
        [
          'Client:',
          ` Version:           ${client.Version}`,
          ` API version:       ${await ctx.client.apiVersion()}`,
          ` Node version:      ${process.version}`,
          ` OS/Arch:           ${client.Os}/${client.Arch}`,
          '',
          `Server: ${String((server.Platform as Obj | undefined)?.Name ?? 'Berth Engine')}`,
          ' Engine:',
          `  Version:          ${String(server.Version)}`,
          `  API version:      ${String(server.ApiVersion)} (minimum version ${String(server.MinAPIVersion)})`,
          `  OS/Arch:          ${String(server.Os)}/${String(server.Arch)}`,
          `  Kernel version:   ${String(server.KernelVersion)}`,
        ].join('\n'),
      );
    });

  program
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'format output using a custom template')
    .action(async (opts: { format?: string }) => {
      const info = await ctx.client.json<Obj>({ method: 'GET', path: '/info' });
      if (opts.format) {
        ctx.out(compileTemplate(opts.format).execute(info));
        return;
      }
      const s = (k: string): string => String(info[k] ?? '');
      const lines = [
        'Server:',
        ` Containers: ${s('Containers')}`,
        `  Running: ${s('ContainersRunning')}`,
        `  Paused: ${s('ContainersPaused')}`,
        `  Stopped: ${s('ContainersStopped')}`,
        ` Images: ${s('Images')}`,
        ` Server Version: ${s('ServerVersion')}`,
        ` Storage Driver: ${s('Driver')}`,
        ` Logging Driver: ${s('LoggingDriver')}`,
        ` Cgroup Driver: ${s('CgroupDriver')}`,
        ` Cgroup Version: ${s('CgroupVersion')}`,
        ` Runtimes: ${Object.keys((info.Runtimes as Obj | undefined) ?? {}).sort().join(' ')}`,
        ` Default Runtime: ${s('DefaultRuntime')}`,
        ` Kernel Version: ${s('KernelVersion')}`,
        ` Operating System: ${s('OperatingSystem')}`,
        ` OSType: ${s('OSType')}`,
        ` Architecture: ${s('Architecture')}`,
        ` CPUs: ${s('NCPU')}`,
        ` Total Memory: ${humanSize(Number(info.MemTotal ?? 0))}`,
        ` Name: ${s('Name')}`,
        ` Docker Root Dir: ${s('DockerRootDir')}`,
        ...(await budgetLine(ctx)),
        ` Debug Mode: ${s('Debug')}`,
        ` Live Restore Enabled: ${s('LiveRestoreEnabled')}`,
      ];
      ctx.out(lines.join('\n'));
      for (const w of (info.Warnings as string[] | null) ?? []) ctx.err(w);
    });
}
