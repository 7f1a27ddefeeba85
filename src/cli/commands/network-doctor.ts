/**
 * `berth network doctor`: what keeps containers from reaching the world through their network —
 * subnets a host route (a VPN, the LAN) also covers, and stray addresses on Berth's bridges —
 * each with the command that ends it. Exits 1 when it finds something, so scripts can check.
 */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';

interface Finding {
  Kind: string;
  Network: string;
  Subnet: string;
  Message: string;
  Fix: string;
}

export function defineDoctor(parent: Command, ctx: CliContext): void {
  parent
    .command('doctor')
    .description('Check networks against the host\'s routes and bridges, and say how to fix what clashes')
    .option('--format <string>', "'json' prints the findings as JSON")
    .action(async (opts: { format?: string }) => {
      const { Findings: findings } = await ctx.client.json<{ Findings: Finding[] }>({ method: 'GET', path: '/berth/v1/networks/doctor' });
      if (opts.format === 'json') ctx.out(JSON.stringify(findings));
      else if (findings.length === 0) ctx.out('No problems found: no network overlaps a host route, and every bridge has only its own address.');
      else for (const f of findings) ctx.out(`${f.Network} (${f.Subnet}): ${f.Message}\n  fix: ${f.Fix}`);
      if (findings.length > 0) throw new CliExit(1, '');
    });
}
