/**
 * The cost of the dashboard (berthd --ui): berthd's CPU while 50 running containers are shown on
 * the dashboard's container list in chromium (each one's CPU and memory live, from the shared
 * samplers), beside a private dockerd's CPU while `docker stats` streams the same 50, and berthd's
 * with the dashboard closed (nothing may sample then). The target: the dashboard within 1.2× of
 * dockerd. CPU counts each daemon's whole process tree (dockerd's containerd and shims do its
 * stats work); neither the browser's nor the docker CLI's own CPU is counted. Run as root, with
 * chromium (scripts/install-test-clients.sh) and, for the peer row, docker.io.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { DOCKER, TestDaemon } from '../test/helpers/test-daemon.js';
import { importBusybox, startDockerd } from './peers.js';
import { startMany, treeCpuSeconds } from './process-cpu.js';
import { recordNote, recordResult } from './results.js';

const N = Number(process.env.BENCH_DASHBOARD_CONTAINERS ?? 50);
const WINDOW_S = Number(process.env.BENCH_DASHBOARD_WINDOW ?? 20);
const CHROMIUM = '/usr/bin/chromium';

/** The daemon's CPU (% of one core) over WINDOW_S, after `settle` ms. */
async function cpuOver(pid: number, settle = 3000): Promise<number> {
  await sleep(settle);
  const before = await treeCpuSeconds(pid);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const used = (await treeCpuSeconds(pid)) - before;
  return (used / ((performance.now() - t0) / 1000)) * 100;
}

interface Row {
  name: string;
  cpu: number;
  note?: string;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    process.stdout.write('dashboard bench: chromium is not installed (scripts/install-test-clients.sh); skipped\n');
    return;
  }
  const d = await TestDaemon.start(['--ui', '127.0.0.1:0']);
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    if (boot.code !== 0) throw new Error(boot.stderr);
    const ids = await startMany((a) => d.berth(a), 'busybox', N);
    const login = (await d.berth(['ui'])).stdout.trim();
    const base = new URL(login).origin;
    const pid = await d.pidFromFile();
    const samplers = async (): Promise<number> =>
      ((await (await fetch(`${base}/dash/daemon`, { headers: { Authorization: `Bearer ${new URL(login).searchParams.get('token')}` } })).json()) as { samplers: number }).samplers;

    rows.push({ name: 'berthd, dashboard closed', cpu: await cpuOver(pid), note: `${await samplers()} samplers` });

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--no-proxy-server', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(login);
      await page.waitForFunction((n) => document.querySelectorAll('td.cpu').length >= n && [...document.querySelectorAll('td.cpu')].every((td) => td.textContent?.includes('%')), N, { timeout: 30_000 });
      rows.push({ name: 'berthd, dashboard open', cpu: await cpuOver(pid), note: `${await samplers()} samplers` });
      await page.close();
    } finally {
      await browser.close();
    }

    // docker stats through berthd: the same shared samplers behind the Engine API's stream.
    const child = spawn(DOCKER, ['stats', '--format', '{{.ID}} {{.CPUPerc}}'], { env: d.env(), stdio: ['ignore', 'ignore', 'ignore'] });
    rows.push({ name: 'berthd, docker stats', cpu: await cpuOver(pid) });
    child.kill('SIGTERM');
    await d.berth(['rm', '-f', ...ids]);

    const peer = await startDockerd(d.root);
    if (!peer?.pid || !peer.env) notes.push('dockerd: not installed');
    else {
      try {
        await importBusybox(peer, d.root);
        const peerIds = await startMany(peer.cli, 'bench-busybox:latest', N);
        const stats = spawn(DOCKER, ['stats', '--format', '{{.ID}} {{.CPUPerc}}'], { env: peer.env, stdio: ['ignore', 'ignore', 'ignore'] });
        rows.push({ name: `${peer.name.replace(/^docker CLI → /, '')}, docker stats`, cpu: await cpuOver(peer.pid) });
        stats.kill('SIGTERM');
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
  const docker = rows.find((r) => r.name.startsWith('dockerd'));
  process.stdout.write(`\ndaemon CPU with ${N} running containers watched for ${WINDOW_S} s (% of a core; the dashboard's list shows each one's CPU and memory live)\n`);
  process.stdout.write(`${'watching'.padEnd(30)}${'CPU %'.padStart(8)}${'÷ dockerd'.padStart(11)}  note\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(30)}${r.cpu.toFixed(1).padStart(8)}${(docker ? (r.cpu / docker.cpu).toFixed(2) : '-').padStart(11)}  ${r.note ?? ''}\n`);
  for (const n of notes) process.stdout.write(`${n}\n`);
  // The row of `npm run bench`'s table: the dashboard open against docker stats through dockerd.
  const metric = `daemon CPU %, ${N} containers watched ${WINDOW_S} s (berthd: dashboard open; dockerd: docker stats)`;
  const open = rows.find((r) => r.name === 'berthd, dashboard open');
  if (open) recordResult({ bench: 'dashboard', metric, engine: 'berthd', value: open.cpu, unit: '%' });
  if (docker) recordResult({ bench: 'dashboard', metric, engine: 'docker CLI → dockerd', value: docker.cpu, unit: '%' });
  const viaDocker = rows.find((r) => r.name === 'berthd, docker stats');
  if (viaDocker) recordResult({ bench: 'dashboard', metric: `daemon CPU %, ${N} containers, docker stats ${WINDOW_S} s`, engine: 'docker CLI → berthd', value: viaDocker.cpu, unit: '%' });
  if (docker) recordResult({ bench: 'dashboard', metric: `daemon CPU %, ${N} containers, docker stats ${WINDOW_S} s`, engine: 'docker CLI → dockerd', value: docker.cpu, unit: '%' });
  for (const n of notes) recordNote('dashboard', n);
}

// The functions playwright runs in the page see its DOM; this program compiles without the DOM library.
declare const document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> & Iterable<{ textContent: string | null }> };

await main();
