/**
 * `berth update` (docker container update): new limits for one or more containers, applied
 * to running ones at once. Flags and messages as docker's; each container that was updated
 * is printed, each failure is an `Error response from daemon` line and the exit status is 1.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { flagFailure } from './container-create.js';
import { containerPath } from './container-attach-io.js';
import { forEachName } from './for-each-name.js';
import { parseRestartPolicy } from './run-host-opts.js';
import { optional } from './run-options.js';
import { FlagError, memSwapBytes, parseIntFlag, parseNanoCpus, ramInBytes } from './run-units.js';

interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  kernelMemory?: string;
  pidsLimit?: string;
  restart?: string;
}

/** docker's UpdateConfig: every resource field (zero = unchanged), PidsLimit only when given. */
export function buildUpdateBody(f: UpdateFlags): Record<string, unknown> {
  if (Object.values(f).every((v) => v === undefined)) throw new FlagError('you must provide one or more flags when using this command');
  const int = (flag: string, v: string | undefined): number => optional(flag, v, (x) => parseIntFlag(flag, x), 0);
  const blkio = int('--blkio-weight', f.blkioWeight);
  if (blkio < 0 || blkio > 65535) throw new FlagError(`invalid argument "${f.blkioWeight ?? ''}" for "--blkio-weight" flag: value out of range`);
  const body: Record<string, unknown> = {
    BlkioWeight: blkio,
    CpuPeriod: int('--cpu-period', f.cpuPeriod),
    CpuQuota: int('--cpu-quota', f.cpuQuota),
    CpuRealtimePeriod: int('--cpu-rt-period', f.cpuRtPeriod),
    CpuRealtimeRuntime: int('--cpu-rt-runtime', f.cpuRtRuntime),
    CpusetCpus: f.cpusetCpus ?? '',
    CpusetMems: f.cpusetMems ?? '',
    CpuShares: int('--cpu-shares', f.cpuShares),
    Memory: optional('-m, --memory', f.memory, ramInBytes, 0),
    MemoryReservation: optional('--memory-reservation', f.memoryReservation, ramInBytes, 0),
    MemorySwap: optional('--memory-swap', f.memorySwap, memSwapBytes, 0),
    KernelMemory: optional('--kernel-memory', f.kernelMemory, ramInBytes, 0),
    NanoCpus: optional('--cpus', f.cpus, parseNanoCpus, 0),
    RestartPolicy: parseRestartPolicy(f.restart ?? ''),
  };
  if (f.pidsLimit !== undefined) body.PidsLimit = int('--pids-limit', f.pidsLimit);
  return body;
}

export function defineUpdate(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Update configuration of one or more containers')
    .argument('<container...>')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action(async (names: string[], flags: UpdateFlags) => {
      let body: Record<string, unknown>;
      try {
        body = buildUpdateBody(flags);
      } catch (err) {
        if (err instanceof FlagError) throw flagFailure(name === 'update' ? 'update' : 'container update', err.message);
        throw err;
      }
      const warnings = new Set<string>();
      await forEachName(ctx, names, async (n) => {
        const r = await ctx.client.json<{ Warnings?: string[] | null }>({ method: 'POST', path: containerPath(n, 'update'), body });
        for (const w of r.Warnings ?? []) warnings.add(w);
        return undefined;
      }).finally(() => {
        for (const w of warnings) ctx.err(`WARNING: ${w}`);
      });
    });
}


