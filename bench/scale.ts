/**
 * A busy host: how Berth's figures grow from 10 to 100 to 1,000 running containers, beside a
 * private dockerd holding the same. Opt-in (`npm run bench -- --scale`, or run this file): a full
 * run makes 1,110 containers per engine and takes about ten minutes. Run as root.
 *
 * For each size N, on an engine with no containers: create N `sleep` containers through the API,
 * start them through the API 100 at once (all at once up to 100), then measure `docker ps -a`,
 * `docker ps --filter`, `docker stats --no-stream` over all of them, the daemon's memory and the
 * per-container supervisor's (berth-monitor; containerd-shim for dockerd), berthd's restart (ready
 * when `ps` lists every container and every monitor is adopted), and last `docker rm -f` of all.
 * Everything either engine made is removed, also when a step fails.
 *
 *   BENCH_SCALE_SIZES=10,100,1000   the sizes (default)
 *   BENCH_SCALE_PEER=0              Berth alone
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineClient, readAll, type RequestSpec } from '../src/client/engine-client.js';
import { runLimited } from '../src/core/run-limited.js';
import { TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { importBusybox, reapDockerd, startDockerd } from './peers.js';
import { rssKiB } from './process-cpu.js';
import { median, recordNote, recordResult } from './results.js';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10,100,1000').split(',').map(Number).filter((n) => n > 0);
const WITH_PEER = process.env.BENCH_SCALE_PEER !== '0';
const BENCH = 'scale';

interface Engine {
  name: string;
  client: EngineClient;
  cli: (args: string[]) => Promise<RunResult>;
  image: string;
  daemonPids: () => Promise<number[]>;
  /** Restarts the daemon; resolves with the seconds until `ps` listed `n` containers, all adopted. */
  restart?: (n: number) => Promise<number>;
}

interface Figures {
  create: number;
  startAtOnce: number;
  psAll: number;
  psFilter: number;
  statsNoStream: number;
  daemonMiB: number;
  supervisorMiB: number;
  restart?: number;
  rmAll: number;
}

/** The processes whose parent is `pid` and whose command is `comm`. */
async function childrenNamed(pid: number, comm: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (stat.includes(`(${comm})`) && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
  }
  return out;
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return seconds(t0);
}

/** The median time of `times` runs of `f`, one after another. */
async function medianOf(times: number, f: () => Promise<unknown>): Promise<number> {
  const all: number[] = [];
  for (let i = 0; i < times; i++) all.push(await timed(f));
  return median(all);
}

async function ok(r: Promise<RunResult>, what: string): Promise<RunResult> {
  const done = await r;
  if (done.code !== 0) throw new Error(`${what}: ${done.stderr.trim() || done.stdout.trim()}`);
  return done;
}

async function call(client: EngineClient, method: RequestSpec['method'], path: string, body?: unknown): Promise<string> {
  const res = await client.raw({ method, path, ...(body !== undefined ? { body } : {}) });
  return (await readAll(res)).toString('utf8');
}

/** Where a size's run is, so that an engine that stops answering can be reported at its step. */
interface Progress {
  step: string;
  /** The figures measured so far: those before a hang are still reported. */
  figures: Partial<Figures>;
}

/** `docker rm -f` of all, as a user would with many: a hundred IDs per command, one command after another. */
const RM_BATCH = 100;
/**
 * Starts in flight at once: all of them up to 100 (the issue's "100 at once"); beyond, waves of
 * 100, so that the 1,000 row is that same work ten times over, not a pile of a thousand requests.
 */
const START_WAVE = 100;

async function measure(e: Engine, n: number, at: Progress): Promise<Figures> {
  const ids: string[] = [];
  at.step = 'create';
  const create = await timed(() =>
    runLimited(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
      const body = { Image: e.image, Cmd: ['sleep', '3600'], Labels: { scale: i % 2 ? 'odd' : 'even' }, HostConfig: { NetworkMode: 'none' } };
      ids.push((JSON.parse(await call(e.client, 'POST', `/containers/create?name=scale-${i}`, body)) as { Id: string }).Id);
    }),
  );
  at.figures.create = create;
  at.step = 'start at once';
  const startAtOnce = await timed(async () => {
    for (let i = 0; i < ids.length; i += START_WAVE) await Promise.all(ids.slice(i, i + START_WAVE).map((id) => call(e.client, 'POST', `/containers/${id}/start`)));
  });
  const listed = (await ok(e.cli(['ps', '-q']), 'ps')).stdout.trim().split('\n').filter(Boolean).length;
  if (listed !== n) throw new Error(`${e.name}: ${listed} of ${n} containers running after the start`);
  at.figures.startAtOnce = startAtOnce;
  at.step = 'ps';
  const psAll = await medianOf(5, () => ok(e.cli(['ps', '-a']), 'ps -a'));
  const psFilter = await medianOf(5, () => ok(e.cli(['ps', '-a', '--filter', `name=scale-${n - 1}`, '--filter', 'label=scale=odd']), 'ps --filter'));
  Object.assign(at.figures, { psAll, psFilter });
  at.step = 'stats --no-stream';
  const statsNoStream = await timed(async () => {
    const out = (await ok(e.cli(['stats', '--no-stream', '--format', '{{.ID}}']), 'stats --no-stream')).stdout.trim().split('\n').length;
    if (out !== n) throw new Error(`${e.name}: stats --no-stream listed ${out} of ${n}`);
  });
  await sleep(8000); // the daemon's memory at rest (berthd trims its heap 5 s after the API goes quiet)
  let daemonKiB = 0;
  for (const pid of await e.daemonPids()) daemonKiB += await rssKiB(pid);
  const supervisors = new Set<number>();
  await runLimited(ids, 32, async (id) => {
    const pid = (JSON.parse(await call(e.client, 'GET', `/containers/${id}/json`)) as { State: { Pid: number } }).State.Pid;
    if (pid > 0) supervisors.add(await parentOf(pid));
  });
  let supervisorKiB = 0;
  for (const pid of supervisors) supervisorKiB += await rssKiB(pid);
  Object.assign(at.figures, { statsNoStream, daemonMiB: daemonKiB / 1024, ...(supervisors.size > 0 ? { supervisorMiB: supervisorKiB / 1024 / supervisors.size } : {}) });
  at.step = 'restart';
  const restart = e.restart ? await e.restart(n) : undefined;
  at.step = 'rm -f';
  const rmAll = await timed(async () => {
    for (let i = 0; i < ids.length; i += RM_BATCH) await ok(e.cli(['rm', '-f', ...ids.slice(i, i + RM_BATCH)]), 'rm -f');
  });
  const left = (await ok(e.cli(['ps', '-aq']), 'ps')).stdout.trim();
  if (left) throw new Error(`${e.name}: containers left after rm -f: ${left.split('\n').length}`);
  return {
    create,
    startAtOnce,
    psAll,
    psFilter,
    statsNoStream,
    daemonMiB: daemonKiB / 1024,
    supervisorMiB: supervisors.size > 0 ? supervisorKiB / 1024 / supervisors.size : 0,
    ...(restart !== undefined ? { restart } : {}),
    rmAll,
  };
}

const METRICS: Array<[keyof Figures, string, string]> = [
  ['create', 'create N through the API (16 at a time)', 's'],
  ['startAtOnce', `start N through the API, ${START_WAVE} at once`, 's'],
  ['psAll', 'docker ps -a (median of 5)', 's'],
  ['psFilter', 'docker ps -a --filter name --filter label (median of 5)', 's'],
  ['statsNoStream', 'docker stats --no-stream, all N', 's'],
  ['daemonMiB', 'daemon RSS (dockerd: with its containerd)', 'MiB'],
  ['supervisorMiB', 'per-container supervisor RSS (berth-monitor; containerd-shim)', 'MiB'],
  ['restart', 'daemon restart until ps lists all N, monitors adopted', 's'],
  ['rmAll', `docker rm -f of all N, ${RM_BATCH} per command`, 's'],
];

function growth(values: Array<number | undefined>): string {
  // From one size to the next, the figure's growth against the containers': 1 = linear.
  const parts: string[] = [];
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1];
    const b = values[i];
    const na = SIZES[i - 1] as number;
    const nb = SIZES[i] as number;
    if (a === undefined || b === undefined || a <= 0) parts.push('–');
    else parts.push(`${(b / a / (nb / na)).toFixed(2)}`);
  }
  return parts.join(' / ');
}

function report(results: Map<string, Map<number, Figures>>): void {
  const engines = [...results.keys()];
  const out = [`| metric | unit | ${engines.flatMap((e) => SIZES.map((n) => `${e} ${n}`)).join(' | ')} | ${SIZES.map((n) => `÷ at ${n}`).join(' | ')} | growth per ×N (1 = linear): ${engines.join('; ')} |`];
  out.push(`|---|---|${engines.flatMap(() => SIZES.map(() => '---:')).join('|')}|${SIZES.map(() => '---:').join('|')}|---|`);
  const [mine, peer] = engines;
  for (const [key, label, unit] of METRICS) {
    const cell = (engine: string, n: number): number | undefined => results.get(engine)?.get(n)?.[key] as number | undefined;
    const fmt = (v: number | undefined): string => (v === undefined ? '–' : unit === 's' ? v.toFixed(3) : v.toFixed(1));
    const ratios = SIZES.map((n) => {
      const a = mine ? cell(mine, n) : undefined;
      const b = peer ? cell(peer, n) : undefined;
      return a !== undefined && b ? `${(a / b).toFixed(2)}×` : '–';
    });
    const growths = engines.map((e) => growth(SIZES.map((n) => cell(e, n)))).join('; ');
    out.push(`| ${label} | ${unit} | ${engines.flatMap((e) => SIZES.map((n) => fmt(cell(e, n)))).join(' | ')} | ${ratios.join(' | ')} | ${growths} |`);
  }
  process.stdout.write(`\n${out.join('\n')}\n`);
  for (const engine of engines) {
    for (const n of SIZES) {
      const f = results.get(engine)?.get(n);
      if (!f) continue;
      for (const [key, label, unit] of METRICS) {
        const v = f[key];
        if (v !== undefined) recordResult({ bench: BENCH, metric: `${label}, N = ${n}`, engine: engine === 'berthd' ? 'docker CLI → berthd' : engine, value: v, unit });
      }
    }
  }
}

async function main(): Promise<void> {
  const results = new Map<string, Map<number, Figures>>();
  const d = await TestDaemon.startWithBusybox();
  try {
    const berth: Engine = {
      name: 'berthd',
      client: d.client,
      cli: (a) => d.docker(a),
      image: 'busybox',
      daemonPids: async () => [await d.pidFromFile()],
      restart: async (n) => {
        await d.halt('SIGTERM');
        const t0 = performance.now();
        await d.launch();
        for (;;) {
          const running = JSON.parse(await call(d.client, 'GET', '/containers/json')) as unknown[];
          if (running.length === n) break;
          if (seconds(t0) > 120) throw new Error(`berthd restart: ${running.length} of ${n} containers listed after 120 s`);
          await sleep(5);
        }
        return seconds(t0);
      },
    };
    const mine = new Map<number, Figures>();
    results.set('berthd', mine);
    for (const n of SIZES) {
      const f = await measure(berth, n, { step: '', figures: {} });
      mine.set(n, f);
      process.stdout.write(`berthd ${n}: ${JSON.stringify(f)}\n`);
    }
  } finally {
    // Whatever a failed step left running goes with the daemon's own removal of its containers.
    const left = (await d.docker(['ps', '-aq'])).stdout.trim();
    if (left) await d.docker(['rm', '-f', ...left.split('\n')]);
    await d.stop();
  }
  if (WITH_PEER) {
    const peerRoot = await mkdtemp(join(tmpdir(), 'berth-bench-scale-'));
    // Its containers' cgroups under a parent of the bench's own: removable even if dockerd hangs.
    const cgroupParent = `/berth-test-scale-dockerd-${randomBytes(3).toString('hex')}`;
    const reap = async (): Promise<void> => {
      await reapDockerd(peerRoot, cgroupParent).catch((err: unknown) => process.stdout.write(`reaping dockerd: ${(err as Error).message}\n`));
      await rm(peerRoot, { recursive: true, force: true });
    };
    const peer = await startDockerd(peerRoot, { args: ['--cgroup-parent', cgroupParent] }).catch(async (err: unknown) => {
      await reap();
      throw err;
    });
    if (!peer?.pid || !peer.env?.DOCKER_HOST) {
      recordNote(BENCH, 'dockerd: not installed');
      await reap();
    }
    else {
      const theirs = new Map<number, Figures>();
      results.set(peer.name, theirs);
      try {
        const image = await importBusybox(peer, peerRoot);
        const client = new EngineClient(peer.env.DOCKER_HOST.replace(/^unix:\/\//, ''));
        const dockerdPid = peer.pid;
        const engine: Engine = {
          name: peer.name,
          client,
          cli: peer.cli,
          image,
          // dockerd starts its own containerd: both are the daemon's memory.
          daemonPids: async () => [dockerdPid, ...(await childrenNamed(dockerdPid, 'containerd'))],
        };
        for (const n of SIZES) {
          const at: Progress = { step: '', figures: {} };
          // dockerd 20.10 can stop answering with many containers: a size that takes far longer
          // than it should ends the peer's run, and what it made is reaped below.
          const limitS = 120 + n * 0.6;
          let timer: NodeJS.Timeout | undefined;
          const hung = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${limitS} s (at step: ${at.step})`)), limitS * 1000);
          });
          try {
            const measuring = measure(engine, n, at);
            measuring.catch(() => undefined); // a size abandoned as hung fails later, unheard
            const f = await Promise.race([measuring, hung]);
            theirs.set(n, f);
            process.stdout.write(`${peer.name} ${n}: ${JSON.stringify(f)}\n`);
          } catch (err) {
            const why = `${peer.name} at ${n} containers: ${(err as Error).message.split('\n')[0]}`;
            process.stdout.write(`${why}\n`);
            recordNote(BENCH, why);
            theirs.set(n, at.figures as Figures);
            break;
          } finally {
            clearTimeout(timer);
          }
        }
      } finally {
        // A dockerd that still answers stops its containers; one that hangs is reaped all the same.
        await Promise.race([peer.stop(), sleep(30_000)]).catch(() => undefined);
        await reap();
      }
      recordNote(BENCH, 'dockerd has no restart row: without --live-restore its restart stops every container');
    }
  }
  report(results);
}

await main();
