/**
 * Rootless against root (issue 23): `docker run --rm --network none busybox true` against a root
 * berthd and against a berthd run by a throwaway user (test/helpers/rootless-user.ts), on the same
 * machine in the same run; medians and their ratio. Run as root (it makes and removes the user).
 */
import { RootlessUser } from '../test/helpers/rootless-user.js';
import { BERTH_BIN, run, TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { recordNote } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function runRm(docker: (a: string[]) => Promise<RunResult>): Promise<number> {
  const argv = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
  const warm = await docker(argv);
  if (warm.code !== 0) throw new Error(warm.stderr);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const r = await docker(argv);
    if (r.code !== 0) throw new Error(r.stderr);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function main(): Promise<void> {
  const d = await TestDaemon.startWithBusybox();
  const u = new RootlessUser();
  try {
    const root = await runRm((a) => d.docker(a));
    await u.create();
    await u.launch();
    const boot = await run(BERTH_BIN, ['image', 'bootstrap', 'busybox'], { env: { ...process.env, BERTH_HOST: `unix://${u.socket}` }, timeoutMs: 300_000 });
    if (boot.code !== 0) throw new Error(boot.stderr);
    const driver = (await u.docker(['info', '--format', '{{.Driver}}'])).stdout.trim();
    const rootless = await runRm((a) => u.docker(a));
    const ratio = rootless / root;
    process.stdout.write(`run --rm true (median of ${ROUNDS}, docker CLI):\n  root berthd      ${root.toFixed(3)} s\n  rootless berthd  ${rootless.toFixed(3)} s (storage ${driver})\n  rootless ÷ root  ${ratio.toFixed(2)}×\n`);
    recordNote('rootless-run', `run --rm true: rootless ${rootless.toFixed(3)} s, root ${root.toFixed(3)} s, rootless ÷ root ${ratio.toFixed(2)}× (${driver})`);
  } finally {
    await u.cleanup();
    await d.stop();
  }
}

await main();
