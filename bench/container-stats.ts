/**
 * The cost of `stats`: `stats --no-stream` over 50 running containers (wall time of the CLI),
 * and the CPU the daemon spends while 100 containers' stats are streamed (`docker stats`
 * following all of them for a fixed window). berthd beside a private dockerd when installed;
 * dockerd's CPU counts its whole process tree (containerd and shims do its stats work).
 * Run as root.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOCKER, TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { startMany, treeCpuSeconds } from './process-cpu.js';
import { importBusybox, startDockerd } from './peers.js';

const FEW = Number(process.env.BENCH_STATS_FEW ?? 50);
const MANY = Number(process.env.BENCH_STATS_MANY ?? 100);
const WINDOW_S = Number(process.env.BENCH_STATS_WINDOW ?? 10);
async function timedNoStream(cli: (a: string[]) => Promise<RunResult>): Promise<number> {
  const t0 = performance.now();
  const r = await cli(['stats', '--no-stream', '--format', '{{.ID}} {{.CPUPerc}}']);
  if (r.code !== 0) throw new Error(`stats --no-stream failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** Daemon CPU (% of one core) while `docker stats` streams every running container for WINDOW_S. */
async function streamingCpu(daemonPid: number, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(DOCKER, ['stats', '--format', '{{.ID}} {{.CPUPerc}}'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  await sleep(3000); // every stream open and sampling
  const before = await treeCpuSeconds(daemonPid);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const used = (await treeCpuSeconds(daemonPid)) - before;
  const wall = (performance.now() - t0) / 1000;
  child.kill('SIGTERM');
  return (used / wall) * 100;
}

interface Row {
  name: string;
  noStream?: number;
  streamCpu?: number;
}

async function main(): Promise<void> {
  const d = await TestDaemon.start();
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    if (boot.code !== 0) throw new Error(boot.stderr);
    const ids = await startMany((a) => d.berth(a), 'busybox', FEW);
    rows.push({ name: 'berth CLI → berthd', noStream: await timedNoStream((a) => d.berth(a)) });
    const t0 = performance.now();
    await d.berth(['version']);
    notes.push(`berth CLI start alone (berth version): ${((performance.now() - t0) / 1000).toFixed(3)} s of the berth row`);
    const dockerOnBerth: Row = { name: 'docker CLI → berthd', noStream: await timedNoStream((a) => d.docker(a)) };
    ids.push(...(await startMany((a) => d.berth(a), 'busybox', MANY - FEW)));
    dockerOnBerth.streamCpu = await streamingCpu(await d.pidFromFile(), d.env());
    rows.push(dockerOnBerth);
    await d.berth(['rm', '-f', ...ids]);

    const peer = await startDockerd(d.root);
    if (!peer?.pid || !peer.env) notes.push('dockerd: not installed');
    else {
      try {
        await importBusybox(peer, d.root);
        const peerIds = await startMany(peer.cli, 'bench-busybox:latest', FEW);
        const row: Row = { name: peer.name, noStream: await timedNoStream(peer.cli) };
        peerIds.push(...(await startMany(peer.cli, 'bench-busybox:latest', MANY - FEW)));
        row.streamCpu = await streamingCpu(peer.pid, peer.env);
        rows.push(row);
        await peer.cli(['rm', '-f', ...peerIds]);
      } catch (err) {
        notes.push(`${peer.name}: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await peer.stop().catch(() => undefined);
      }
    }
  } finally {
    await d.stop();
  }
  const docker = rows.find((r) => r.name === 'docker CLI → dockerd');
  const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b ? (a / b).toFixed(2) : '-');
  process.stdout.write(`\nstats --no-stream over ${FEW} running containers (s); daemon CPU while ${MANY} are streamed for ${WINDOW_S} s (% of a core)\n`);
  process.stdout.write(`${'engine'.padEnd(24)}${'no-stream s'.padStart(13)}${'÷ dockerd'.padStart(11)}${'stream CPU %'.padStart(14)}${'÷ dockerd'.padStart(11)}\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(24)}${(r.noStream?.toFixed(3) ?? '-').padStart(13)}${ratio(r.noStream, docker?.noStream).padStart(11)}${(r.streamCpu?.toFixed(1) ?? '-').padStart(14)}${ratio(r.streamCpu, docker?.streamCpu).padStart(11)}\n`,
    );
  }
  for (const n of notes) process.stdout.write(`${n}\n`);
}

await main();
