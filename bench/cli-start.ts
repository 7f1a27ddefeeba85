/**
 * The berth CLI's own start (issue 22): `berth version` and `berth run --rm busybox true` beside
 * `docker version`, `docker run --rm busybox true` and `node -e 0`, all against one private
 * berthd, each command run ROUNDS times in turn (alternately, so a noisy neighbour slows each
 * alike) and reported as medians in milliseconds. Compare the rows with each other only.
 *
 *   node dist/bench/cli-start.js                 # starts and stops a private berthd
 *   BENCH_HOST=unix:///path node dist/bench/...  # against a daemon already running
 *   BENCH_EXTRA='label=cmd arg...;label2=...'    # more rows (a variant launcher, a flag)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BERTH_BIN, DOCKER, REPO_ROOT, TestDaemon } from '../test/helpers/test-daemon.js';
import { median } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

interface Row {
  label: string;
  argv: string[];
  times: number[];
}

function timedRun(argv: string[], env: NodeJS.ProcessEnv): number {
  const [file = '', ...args] = argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return ms;
}

async function main(): Promise<void> {
  const own = process.env.BENCH_HOST ? undefined : await TestDaemon.startWithBusybox();
  const host = process.env.BENCH_HOST ?? own?.host ?? '';
  try {
    const env = { ...process.env, DOCKER_HOST: host, BERTH_HOST: host };
    const rows: Row[] = [
      { label: 'node -e 0', argv: [NODE, '-e', '0'], times: [] },
      { label: 'berth version', argv: [BERTH_BIN, 'version'], times: [] },
      { label: 'docker version', argv: [DOCKER, 'version'], times: [] },
      { label: 'berth run --rm busybox true', argv: [BERTH_BIN, 'run', '--rm', 'busybox', 'true'], times: [] },
      { label: 'docker run --rm busybox true', argv: [DOCKER, 'run', '--rm', 'busybox', 'true'], times: [] },
    ];
    for (const extra of (process.env.BENCH_EXTRA ?? '').split(';').filter((s) => s.trim() !== '')) {
      const eq = extra.indexOf('=');
      rows.push({ label: extra.slice(0, eq).trim(), argv: extra.slice(eq + 1).trim().split(/\s+/), times: [] });
    }
    for (const row of rows) timedRun(row.argv, env); // warm page cache and compile cache
    for (let i = 0; i < ROUNDS; i++) for (const row of rows) row.times.push(timedRun(row.argv, env));
    const width = Math.max(...rows.map((r) => r.label.length));
    console.log(`${'command'.padEnd(width)}  median ms  (min..max, ${ROUNDS} rounds, alternating)`);
    for (const row of rows) {
      console.log(`${row.label.padEnd(width)}  ${median(row.times).toFixed(1).padStart(9)}  (${Math.min(...row.times).toFixed(1)}..${Math.max(...row.times).toFixed(1)})`);
    }
  } finally {
    await own?.stop();
  }
}

await main();
