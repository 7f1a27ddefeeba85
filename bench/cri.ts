/**
 * Kubernetes' path to a running container through the CRI: `crictl runp` (a pod sandbox with its
 * CNI network) + `create` + `start` of one busybox container, timed by crictl from outside, median
 * of 10, berthd beside Debian's containerd 1.6 in one run. Each engine runs in a network
 * namespace of its own with the same CNI bridge config and the image pulled beforehand from a
 * local registry (test/outside/critest.ts). Run as root, after scripts/install-test-clients.sh.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from '../test/helpers/test-daemon.js';
import { CRICTL_BIN, serveIn, standInRegistry, startBerth, startContainerd } from '../test/outside/critest.js';
import { median, recordNote, recordResult } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';

function must(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/** The least one crictl call costs (`crictl version`), over both engines. */
let crictlFloor = Infinity;

/** Pod + container to running, ROUNDS times; each pod is removed after its round (not timed). */
async function measure(endpoint: string, dir: string): Promise<number> {
  const crictl = (args: string[]): Promise<RunResult> => run(CRICTL_BIN, ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, ...args], { timeoutMs: 120_000 });
  await mkdir(dir, { recursive: true });
  must(await crictl(['pull', IMAGE]), 'crictl pull');
  const times: number[] = [];
  const steps: Record<string, number[]> = {};
  for (let i = -1; i < ROUNDS; i++) {
    const pod = join(dir, `pod-${i}.json`);
    const ctr = join(dir, `ctr-${i}.json`);
    // The kubelet makes the pod's log directory before it asks for the sandbox.
    await mkdir(join(dir, `logs-${i}`));
    await writeFile(pod, JSON.stringify({ metadata: { name: `bench-${i}`, namespace: 'bench', uid: `bench-uid-${i}`, attempt: 0 }, log_directory: join(dir, `logs-${i}`), linux: {} }));
    await writeFile(ctr, JSON.stringify({ metadata: { name: 'sleeper' }, image: { image: IMAGE }, command: ['sleep', '300'], log_path: 'sleeper.log', linux: {} }));
    const t0 = performance.now();
    const podId = must(await crictl(['runp', pod]), 'crictl runp');
    const t1 = performance.now();
    const ctrId = must(await crictl(['create', podId, ctr, pod]), 'crictl create');
    const t2 = performance.now();
    must(await crictl(['start', ctrId]), 'crictl start');
    const t3 = performance.now();
    const seconds = (t3 - t0) / 1000;
    if (i >= 0) {
      // round -1 warms caches
      times.push(seconds);
      for (const [k, v] of [['runp', t1 - t0], ['create', t2 - t1], ['start', t3 - t2]] as const) (steps[k] ??= []).push(v / 1000);
    }
    must(await crictl(['stopp', podId]), 'crictl stopp');
    must(await crictl(['rmp', podId]), 'crictl rmp');
  }
  const floor: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    must(await crictl(['version']), 'crictl version');
    floor.push((performance.now() - t) / 1000);
  }
  process.stdout.write(`${endpoint}: crictl version ${median(floor).toFixed(3)} s (each call's floor), ${Object.entries(steps).map(([k, v]) => `${k} ${median(v).toFixed(3)} s`).join(', ')}\n`);
  crictlFloor = Math.min(crictlFloor, median(floor));
  return median(times);
}

async function main(): Promise<void> {
  if (!existsSync(CRICTL_BIN)) {
    recordNote('cri', 'crictl is not built: run scripts/install-test-clients.sh');
    process.stdout.write('cri bench: crictl is not built (scripts/install-test-clients.sh)\n');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-cri-'));
  const registry = await standInRegistry();
  const rows: Array<[string, number]> = [];
  let cniMs: number | undefined;
  try {
    const lab = async (name: string): Promise<string> => {
      const netns = join(dir, name);
      await serveIn(registry, netns);
      return netns;
    };
    const berthNs = await lab('berth');
    const b = await startBerth(registry.host, berthNs);
    try {
      rows.push(['berthd', await measure(b.endpoint, join(dir, 'berth-work'))]);
      // The CNI chain by itself, in the same lab namespace: the network's share of any runtime's runp.
      const floor = await run('nsenter', [`--net=${berthNs}`, process.execPath, join(import.meta.dirname, 'cni-floor.js'), join(dir, 'cni-floor'), String(ROUNDS)], { timeoutMs: 120_000 });
      cniMs = (JSON.parse(must(floor, 'the CNI chain alone')) as { addMs: number }).addMs;
    } finally {
      await b.stop();
      await run('umount', ['-l', berthNs]);
    }
    if (existsSync('/usr/bin/containerd')) {
      const cNs = await lab('containerd');
      const c = await startContainerd(registry.host, cNs);
      try {
        rows.push(['containerd 1.6 (CRI)', await measure(c.endpoint, join(dir, 'containerd-work'))]);
      } finally {
        await c.stop();
        await run('umount', ['-l', cNs]);
      }
    } else recordNote('cri', 'containerd is not installed: no reference');
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const metric = `crictl runp + create + start (median of ${ROUNDS})`;
  for (const [engine, value] of rows) recordResult({ bench: 'cri', metric, engine, value, unit: 's' });
  const base = rows.find(([e]) => e.startsWith('containerd'))?.[1];
  for (const [engine, value] of rows) process.stdout.write(`${engine.padEnd(24)} ${value.toFixed(3)} s${base ? `  (${(value / base).toFixed(2)}× containerd)` : ''}\n`);
  if (cniMs !== undefined && Number.isFinite(crictlFloor)) {
    // What any runtime pays here before its own work: three crictl calls and the pod's CNI ADD.
    const floor = 3 * crictlFloor + cniMs / 1000;
    recordResult({ bench: 'cri', metric: 'floor: 3 crictl calls + the CNI chain ADD', engine: 'any runtime', value: floor, unit: 's' });
    process.stdout.write(`${'floor (any runtime)'.padEnd(24)} ${floor.toFixed(3)} s  = 3 × crictl ${crictlFloor.toFixed(3)} s + CNI chain ADD ${(cniMs / 1000).toFixed(3)} s${base ? `  (${(floor / base).toFixed(2)}× containerd)` : ''}\n`);
  }
}

await main();
