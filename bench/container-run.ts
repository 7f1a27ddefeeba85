/**
 * Container start latency and density: `run --rm IMG true`, 20 × `run -d` then `rm -f`, and memory
 * (berthd idle, per running container). berthd through berth's CLI and the docker CLI, beside a
 * private dockerd and podman when installed, with raw `crun run` (and `runc run`) of a prepared
 * bundle as the floor.
 * Every engine uses `--network none`, so all of them do the same work. Run as root.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { busyboxRootfsTar } from '../src/cli/bootstrap/busybox-rootfs.js';
import { run, TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { mountToHideOnCreate } from '../src/drivers/runtime/runtime-catalog.js';
import { podmanPeer, startDockerd, type Peer } from './peers.js';
import { rssKiB } from './process-cpu.js';
import { median, recordNote, recordResult, timedOk } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const DENSITY = Number(process.env.BENCH_DENSITY ?? 20);

interface Row {
  name: string;
  runRm: number;
  density?: number;
}

async function measure(name: string, cli: (a: string[]) => Promise<RunResult>, image: string): Promise<Row> {
  const times: number[] = [];
  await cli(['run', '--rm', '--network', 'none', image, 'true']); // warm caches
  for (let i = 0; i < ROUNDS; i++) times.push(await timedOk(() => cli(['run', '--rm', '--network', 'none', image, 'true'])));
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < DENSITY; i++) {
    const r = await cli(['run', '-d', '--network', 'none', image, 'sleep', '300']);
    if (r.code !== 0) throw new Error(`${name}: run -d failed: ${r.stderr}`);
    ids.push(r.stdout.trim());
  }
  const density = (performance.now() - t0) / 1000;
  await cli(['rm', '-f', ...ids]);
  return { name, runRm: median(times), density };
}

/**
 * A bundle of the same rootfs, run directly by crun and by runc: what any engine must add its
 * work to. On a hybrid cgroup host crun runs in a mount namespace without the cgroup2 mount, as
 * Berth runs it (drivers/runtime/runtime-catalog.ts), which costs the floor an unshare and a sh.
 */
async function rawFloors(dir: string): Promise<Row[]> {
  const bundle = join(dir, 'bundle');
  await mkdir(join(bundle, 'rootfs'), { recursive: true });
  const tarPath = join(dir, 'rootfs.tar');
  await pipeline(await busyboxRootfsTar(), createWriteStream(tarPath));
  await run('tar', ['-C', join(bundle, 'rootfs'), '-xf', tarPath]);
  const spec = JSON.parse((await run('sh', ['-c', `cd ${bundle} && runc spec && cat config.json`])).stdout) as { ociVersion: string; process: { terminal: boolean; args: string[] } };
  spec.ociVersion = '1.1.0'; // crun 1.8 refuses 1.2
  spec.process.terminal = false;
  spec.process.args = ['true'];
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
  const hide = await mountToHideOnCreate('crun');
  const rows: Row[] = [];
  for (const runtime of ['crun', 'runc']) {
    const root = join(dir, `${runtime}-root`);
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const argv = [runtime, '--root', root, 'run', '--bundle', bundle, `bench-${process.pid}-${i}`];
      const cmd = runtime === 'crun' && hide ? (): Promise<RunResult> => run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `umount ${hide} && exec "$@"`, 'sh', ...argv]) : (): Promise<RunResult> => run(argv[0] as string, argv.slice(1));
      times.push(await timedOk(cmd));
    }
    rows.push({ name: `raw ${runtime} run (floor)`, runRm: median(times) });
  }
  // crun, run without the cgroup2 mount, made its cgroup directories in the host's tmpfs under
  // that mount point (Berth's monitor covers it with a tmpfs of its own; the floor keeps to one
  // command): they go, by their exact names, from a namespace that can see them.
  if (hide) await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `umount ${hide} && [ "$(stat -f -c %T ${hide})" = tmpfs ] && rm -rf ${hide}/bench-${process.pid}-*`]);
  return rows;
}

async function main(): Promise<void> {
  const d = await TestDaemon.start();
  const rows: Row[] = [];
  const peers: Peer[] = [];
  const notes: string[] = [];
  try {
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    if (boot.code !== 0) throw new Error(boot.stderr);
    const pid = await d.pidFromFile();
    const idle = await rssKiB(pid);
    rows.push(await measure('berth CLI → berthd', (a) => d.berth(a), 'busybox'));
    rows.push(await measure('docker CLI → berthd', (a) => d.docker(a), 'busybox'));
    // Memory with DENSITY containers running: berthd and the monitors.
    const ids: string[] = [];
    for (let i = 0; i < DENSITY; i++) ids.push((await d.berth(['run', '-d', '--network', 'none', 'busybox', 'sleep', '300'])).stdout.trim());
    let monitors = 0;
    for (const id of ids) {
      const monPid = Number((await readFile(join(d.execRoot, 'containers', id, 'monitor', 'monitor.pid'), 'utf8').catch(() => '0')).trim());
      if (monPid > 0) monitors += await rssKiB(monPid);
    }
    const busy = await rssKiB(pid);
    await d.berth(['rm', '-f', ...ids]);
    notes.push(`berthd RSS idle ${(idle / 1024).toFixed(1)} MiB, with ${DENSITY} running ${(busy / 1024).toFixed(1)} MiB`);
    recordResult({ bench: 'container-run', metric: 'daemon RSS, idle', engine: 'berthd', value: idle / 1024, unit: 'MiB' });
    recordResult({ bench: 'container-run', metric: `daemon RSS, ${DENSITY} containers running`, engine: 'berthd', value: busy / 1024, unit: 'MiB' });
    recordResult({ bench: 'container-run', metric: 'monitor RSS per running container', engine: 'berthd', value: monitors / ids.length / 1024, unit: 'MiB' });
    notes.push(`berth-monitor RSS per running container ${(monitors / ids.length / 1024).toFixed(2)} MiB (targets: idle ≤ 60 MiB, ≤ 2 MiB per container)`);
    const tarPath = join(d.root, 'busybox-rootfs.tar');
    await pipeline(await busyboxRootfsTar(), createWriteStream(tarPath));
    for (const start of [startDockerd, podmanPeer]) {
      const peer = await start(d.root);
      if (!peer) {
        notes.push(`${start === startDockerd ? 'dockerd' : 'podman'}: not installed`);
        continue;
      }
      peers.push(peer);
      const image = peer.name === 'podman' ? 'localhost/bench-busybox:latest' : 'bench-busybox:latest';
      const imp = await peer.cli(['import', '-c', 'CMD ["sh"]', tarPath, image]);
      if (imp.code !== 0) {
        notes.push(`${peer.name}: import failed: ${imp.stderr.trim()}`);
        continue;
      }
      try {
        rows.push(await measure(peer.name, peer.cli, image));
      } catch (err) {
        notes.push(`${peer.name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    rows.push(...(await rawFloors(join(d.root, 'floor'))));
  } finally {
    for (const p of peers.reverse()) await p.stop().catch(() => undefined);
    await d.stop();
  }
  const docker = rows.find((r) => r.name === 'docker CLI → dockerd');
  const floor = rows.find((r) => r.name.startsWith('raw crun'));
  process.stdout.write(`\nrun --rm true: median of ${ROUNDS}; run -d: ${DENSITY} containers, total seconds\n`);
  process.stdout.write(`${'engine'.padEnd(24)}${'run --rm s'.padStart(12)}${'÷ dockerd'.padStart(11)}${'÷ crun'.padStart(9)}${`${DENSITY}× run -d s`.padStart(15)}${'÷ dockerd'.padStart(11)}\n`);
  for (const r of rows) {
    const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b ? (a / b).toFixed(2) : '-');
    process.stdout.write(
      `${r.name.padEnd(24)}${r.runRm.toFixed(3).padStart(12)}${ratio(r.runRm, docker?.runRm).padStart(11)}${ratio(r.runRm, floor?.runRm).padStart(9)}${(r.density?.toFixed(2) ?? '-').padStart(15)}${ratio(r.density, docker?.density).padStart(11)}\n`,
    );
  }
  for (const n of notes) {
    process.stdout.write(`${n}\n`);
    recordNote('container-run', n);
  }
  for (const r of rows) {
    recordResult({ bench: 'container-run', metric: `run --rm true (median of ${ROUNDS})`, engine: r.name, value: r.runRm, unit: 's' });
    if (r.density !== undefined) recordResult({ bench: 'container-run', metric: `${DENSITY} × run -d, total`, engine: r.name, value: r.density, unit: 's' });
  }
}

await main();
