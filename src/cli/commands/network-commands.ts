/** docker's `network` command group: create, ls, inspect, rm, prune, connect, disconnect. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson, UsageError } from '../command-kit.js';
import { confirmRemoval } from '../confirm-prompt.js';
import { formatForCli } from '../format/table.js';
import { forEachName } from './for-each-name.js';
import { inspectEach } from './inspect-output.js';
import { defineDoctor } from './network-doctor.js';

interface NetworkView {
  Name: string;
  Id: string;
  Created: string;
  Driver: string;
  Scope: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

function pairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0 && flag !== '--label') throw new UsageError(`invalid argument "${item}" for "${flag}" flag: invalid key value pair format`);
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

function defineCreate(parent: Command, ctx: CliContext): void {
  parent
    .command('create')
    .argument('<network>')
    .usage('[OPTIONS] NETWORK')
    .description('Create a network')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--subnet <subnet>', 'Subnet in CIDR format that represents a network segment', collect)
    .option('--gateway <ip>', 'IPv4 or IPv6 Gateway for the master subnet', collect)
    .option('--ip-range <range>', 'Allocate container ip from a sub-range', collect)
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ipv6', 'Enable or disable IPv6 networking')
    .option('--label <label>', 'Set metadata on a network', collect)
    .option('-o, --opt <option>', 'Set driver specific options', collect)
    .action(async (name: string, opts: { driver: string; subnet?: string[]; gateway?: string[]; ipRange?: string[]; internal?: boolean; attachable?: boolean; ipv6?: boolean; label?: string[]; opt?: string[] }) => {
      const subnets = opts.subnet ?? [];
      if ((opts.gateway ?? []).length > subnets.length || (opts.ipRange ?? []).length > subnets.length) throw new UsageError('every ip-range or gateway must have a corresponding subnet');
      const config = subnets.map((s, i) => ({ Subnet: s, ...(opts.gateway?.[i] ? { Gateway: opts.gateway[i] } : {}), ...(opts.ipRange?.[i] ? { IPRange: opts.ipRange[i] } : {}) }));
      const body = {
        Name: name,
        Driver: opts.driver,
        Internal: opts.internal === true,
        Attachable: opts.attachable === true,
        EnableIPv6: opts.ipv6 === true,
        IPAM: { Driver: 'default', Config: config, Options: {} },
        Options: pairs(opts.opt, '--opt'),
        Labels: pairs(opts.label, '--label'),
      };
      const res = await ctx.client.json<{ Id: string }>({ method: 'POST', path: '/networks/create', body });
      ctx.out(res.Id);
    });
}

const HEADERS = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };

function defineList(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .usage('[OPTIONS]')
    .description('List networks')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'driver=bridge')", collect)
    .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action(async (opts: { filter?: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      const nets = await ctx.client.json<NetworkView[]>({ method: 'GET', path: '/networks', query: { filters: filtersJson(opts.filter) } });
      const id = (n: NetworkView): string => (opts.trunc ? n.Id.slice(0, 12) : n.Id);
      if (opts.quiet && !opts.format) {
        for (const n of nets) ctx.out(id(n));
        return;
      }
      const rows = nets.map((n) => ({
        ID: id(n),
        Name: n.Name,
        Driver: n.Driver,
        Scope: n.Scope,
        IPv6: String(n.EnableIPv6),
        Internal: String(n.Internal),
        Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
        CreatedAt: n.Created,
      }));
      ctx.out(formatForCli(opts.format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', rows, HEADERS));
    });
}

function defineInspect(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .argument('<network...>')
    .description('Display detailed information on one or more networks')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (names: string[], opts: { format?: string }) => {
      await inspectEach(ctx, names, opts.format, (n) => ctx.client.json({ method: 'GET', path: `/networks/${encodeURIComponent(n)}` }));
    });
}

function defineRemove(parent: Command, ctx: CliContext): void {
  parent
    .command('rm')
    .alias('remove')
    .argument('<network...>')
    .description('Remove one or more networks')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(async (names: string[], opts: { force?: boolean }) => {
      await forEachName(ctx, names, async (n) => void (await ctx.client.json({ method: 'DELETE', path: `/networks/${encodeURIComponent(n)}` })), opts.force ? { notFound: 'ignore' } : {});
    });
}

function definePrune(parent: Command, ctx: CliContext): void {
  parent
    .command('prune')
    .usage('[OPTIONS]')
    .description('Remove all unused networks')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (opts: { filter?: string[]; force?: boolean }) => {
      if (!(await confirmRemoval(ctx, 'all custom networks not used by at least one container', opts.force))) return;
      const report = await ctx.client.json<{ NetworksDeleted?: string[] | null }>({ method: 'POST', path: '/networks/prune', query: { filters: filtersJson(opts.filter) } });
      const deleted = report.NetworksDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.join('\n')}\n`);
    });
}

function defineConnect(parent: Command, ctx: CliContext): void {
  parent
    .command('connect')
    .argument('<network>')
    .argument('<container>')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .description('Connect a container to a network')
    .option('--alias <alias>', 'Add network-scoped alias for the container', collect)
    .option('--ip <ip>', 'IPv4 address (e.g., "172.30.100.104")')
    .option('--ip6 <ip>', 'IPv6 address (e.g., "2001:db8::33")')
    .option('--link <link>', 'Add link to another container', collect)
    .option('--driver-opt <opt>', 'driver options for the network', collect)
    .action(async (network: string, container: string, opts: { alias?: string[]; ip?: string; ip6?: string; link?: string[]; driverOpt?: string[] }) => {
      const ipam = opts.ip || opts.ip6 ? { ...(opts.ip ? { IPv4Address: opts.ip } : {}), ...(opts.ip6 ? { IPv6Address: opts.ip6 } : {}) } : undefined;
      const EndpointConfig = { ...(ipam ? { IPAMConfig: ipam } : {}), ...(opts.alias ? { Aliases: opts.alias } : {}), ...(opts.link ? { Links: opts.link } : {}), ...(opts.driverOpt ? { DriverOpts: pairs(opts.driverOpt, '--driver-opt') } : {}) };
      await ctx.client.json({ method: 'POST', path: `/networks/${encodeURIComponent(network)}/connect`, body: { Container: container, EndpointConfig } });
    });
}

function defineDisconnect(parent: Command, ctx: CliContext): void {
  parent
    .command('disconnect')
    .argument('<network>')
    .argument('<container>')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .description('Disconnect a container from a network')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (network: string, container: string, opts: { force?: boolean }) => {
      await ctx.client.json({ method: 'POST', path: `/networks/${encodeURIComponent(network)}/disconnect`, body: { Container: container, Force: opts.force === true } });
    });
}

export function registerNetworkCommands(program: Command, ctx: CliContext): void {
  const network = program.command('network').description('Manage networks');
  defineConnect(network, ctx);
  defineCreate(network, ctx);
  defineDisconnect(network, ctx);
  defineDoctor(network, ctx);
  defineInspect(network, ctx);
  defineList(network, ctx);
  definePrune(network, ctx);
  defineRemove(network, ctx);
}
