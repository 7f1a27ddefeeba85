/**
 * `berth container stats` (docker stats.go + stats_helpers.go): one sample per container from
 * `GET /containers/{id}/stats?stream=0` (all containers at once), computed and printed as
 * docker's table. Without --no-stream each container's stats stream feeds a table redrawn every
 * second until interrupted.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { formatForCli } from '../format/table.js';
import { containerPath, isTTY } from './container-attach-io.js';
import { errorText } from './container-create.js';

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsSample {
  id?: string;
  name?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  pids_stats?: { current?: number };
}

/** go-units BytesSize: binary units, `%.4g` (`1.5MiB`, `7.772GiB`). */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  const s = size === 0 ? '0' : size.toPrecision(4);
  return `${s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/\.?0+$/, '') : s}${units[i] ?? 'B'}`;
}

/** go-units HumanSizeWithPrecision(n, 3), used for the I/O columns. */
function humanSize3(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  const s = size === 0 ? '0' : size.toPrecision(3);
  return `${s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/\.?0+$/, '') : s}${units[i] ?? 'B'}`;
}

export interface StatsRow {
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/** Turns one sample into docker's columns (CPU against the system delta, memory minus page cache). */
export function statsRow(container: string, s: StatsSample, noTrunc: boolean): StatsRow {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || (s.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0);
  const cpuPerc = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const mem = s.memory_stats ?? {};
  const extra = mem.stats ?? {};
  // cgroup v1 reports total_inactive_file, v2 inactive_file; docker leaves the page cache out.
  const cache = extra.total_inactive_file ?? extra.inactive_file ?? 0;
  const usage = Math.max(0, (mem.usage ?? 0) - (cache < (mem.usage ?? 0) ? cache : 0));
  const limit = mem.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    else if (e.op.toLowerCase() === 'write') write += e.value;
  }
  const id = s.id ?? container;
  return {
    Container: container,
    ID: noTrunc ? id : id.slice(0, 12),
    Name: (s.name ?? '').replace(/^\//, '') || '--',
    CPUPerc: `${cpuPerc.toFixed(2)}%`,
    MemUsage: `${bytesSize(usage)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit !== 0 ? (usage / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize3(rx)} / ${humanSize3(tx)}`,
    BlockIO: `${humanSize3(read)} / ${humanSize3(write)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

const HEADERS = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};
const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

interface StatsFlags {
  all?: boolean;
  format?: string;
  stream: boolean;
  trunc: boolean;
}

async function targetsOf(ctx: CliContext, names: string[], flags: StatsFlags): Promise<string[]> {
  if (names.length > 0) return names;
  const list = await ctx.client.json<Array<{ Id: string }>>({ method: 'GET', path: '/containers/json', query: { all: flags.all === true || undefined } });
  return list.map((c) => c.Id);
}

/** One sample per container, all asked for at once (50 containers answer together, not in turn). */
async function sampleAll(ctx: CliContext, targets: string[], flags: StatsFlags): Promise<{ rows: StatsRow[]; errors: string[] }> {
  const results = await Promise.allSettled(targets.map((t) => ctx.client.json<StatsSample>({ method: 'GET', path: containerPath(t, 'stats'), query: { stream: false } })));
  const rows: StatsRow[] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      rows.push(statsRow(targets[i] ?? '', r.value, !flags.trunc));
      return;
    }
    if (!(r.reason instanceof ApiError)) throw r.reason;
    errors.push(errorText(r.reason));
  });
  return { rows, errors };
}

/**
 * docker's live view: one streaming stats connection per container, the latest sample of each
 * kept, the table redrawn every second. A container that stops drops out of the table.
 */
async function streamAll(ctx: CliContext, targets: string[], flags: StatsFlags): Promise<never> {
  const latest = new Map<string, StatsRow>();
  const errors = new Map<string, string>();
  const follow = async (t: string): Promise<void> => {
    try {
      const res = await ctx.client.raw({ method: 'GET', path: containerPath(t, 'stats'), query: { stream: true } });
      for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
        if (line.trim() !== '') latest.set(t, statsRow(t, JSON.parse(line) as StatsSample, !flags.trunc));
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.set(t, errorText(err));
    }
    latest.delete(t);
  };
  for (const t of targets) void follow(t).catch((err: unknown) => errors.set(t, (err as Error).message));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // On a terminal the table is redrawn in place, as docker does.
    if (isTTY(ctx.stdout)) ctx.stdout.write('\x1b[2J\x1b[H');
    ctx.out(formatForCli(flags.format, DEFAULT_TABLE, targets.flatMap((t) => latest.get(t) ?? []), HEADERS));
    for (const e of errors.values()) ctx.err(e);
    errors.clear();
  }
}

export function defineStats(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] [CONTAINER...]')
    .description('Display a live stream of container(s) resource usage statistics')
    .argument('[container...]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Do not truncate output")
    .action(async (names: string[], flags: StatsFlags) => {
      const targets = await targetsOf(ctx, names, flags);
      if (flags.stream) await streamAll(ctx, targets, flags);
      const { rows, errors } = await sampleAll(ctx, targets, flags);
      if (errors.length > 0 && rows.length === 0) throw new CliExit(1, errors.join('\n'));
      ctx.out(formatForCli(flags.format, DEFAULT_TABLE, rows, HEADERS));
      if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    });
}
