/**
 * Image save and load of a 200 MB image: berthd through berth's CLI and through the docker CLI,
 * beside a real dockerd and podman when they are installed, printed as ratios.
 * Run: `npm run bench` (or `node dist/bench/image-load-save.js`), as root.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import { TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { median, printTwoTimingTable, recordResult, timedOk } from './results.js';
import { podmanPeer, startDockerd } from './peers.js';

const SIZE_MB = Number(process.env.BENCH_IMAGE_MB ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function makeRootfsTar(path: string): Promise<void> {
  const p = pack();
  const done = pipeline(p, createWriteStream(path));
  p.entry({ name: 'data/', type: 'directory', mode: 0o755 });
  // Random bytes: a compressing tool gains nothing, so every engine moves the same bytes.
  const chunk = randomBytes(1 << 20);
  const entry = p.entry({ name: 'data/blob.bin', size: SIZE_MB << 20, mode: 0o644 });
  for (let i = 0; i < SIZE_MB; i++) {
    if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  entry.end(() => undefined);
  p.entry({ name: 'hello.txt', mode: 0o644 }, 'bench\n');
  p.finalize();
  await done;
}

interface Engine {
  name: string;
  cli: (args: string[]) => Promise<RunResult>;
  imageRef: string;
}

async function measure(engine: Engine, dir: string): Promise<{ save: number; load: number }> {
  const saves: number[] = [];
  const loads: number[] = [];
  const archive = join(dir, `${engine.name.replace(/\W+/g, '-')}.tar`);
  for (let i = 0; i < ROUNDS; i++) {
    await rm(archive, { force: true });
    saves.push(await timedOk(() => engine.cli(['save', '-o', archive, engine.imageRef])));
    await engine.cli(['rmi', engine.imageRef]);
    loads.push(await timedOk(() => engine.cli(['load', '-i', archive])));
  }
  await rm(archive, { force: true });
  return { save: median(saves), load: median(loads) };
}

async function main(): Promise<void> {
  const d = await TestDaemon.start();
  const rootfs = join(d.root, 'rootfs.tar');
  const results: Array<{ name: string; save: number; load: number }> = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    await makeRootfsTar(rootfs);
    process.stdout.write(`image: ${SIZE_MB} MB rootfs (${(await stat(rootfs)).size} bytes), ${ROUNDS} rounds, medians\n`);
    const ref = 'berth-bench/load-save:latest';
    const berth: Engine = { name: 'berth CLI → berthd', cli: (a) => d.berth(a), imageRef: ref };
    const dockerCli: Engine = { name: 'docker CLI → berthd', cli: (a) => d.docker(a), imageRef: ref };
    if ((await d.berth(['import', rootfs, ref])).code !== 0) throw new Error('import into berthd failed');
    results.push({ name: berth.name, ...(await measure(berth, d.root)) });
    results.push({ name: dockerCli.name, ...(await measure(dockerCli, d.root)) });

    for (const start of [startDockerd, podmanPeer]) {
      const peer = await start(d.root);
      if (!peer) {
        process.stdout.write(`${start === startDockerd ? 'dockerd' : 'podman'}: not installed (apt-get install ${start === startDockerd ? 'docker.io' : 'podman'} to compare)\n`);
        continue;
      }
      cleanups.push(() => peer.stop());
      const imageRef = peer.name === 'podman' ? `localhost/${ref}` : ref;
      const imported = await peer.cli(['import', rootfs, imageRef]);
      if (imported.code !== 0) throw new Error(`${peer.name} import failed: ${imported.stderr}`);
      results.push({ name: peer.name, ...(await measure({ name: peer.name, cli: peer.cli, imageRef }, d.root)) });
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await d.stop();
  }
  for (const r of results) {
    recordResult({ bench: 'image-load-save', metric: `docker save of a ${SIZE_MB} MB image (median of ${ROUNDS})`, engine: r.name, value: r.save, unit: 's' });
    recordResult({ bench: 'image-load-save', metric: `docker load of a ${SIZE_MB} MB image (median of ${ROUNDS})`, engine: r.name, value: r.load, unit: 's' });
  }
  printTwoTimingTable(['save', 'load'], results.map((r) => ({ name: r.name, times: [r.save, r.load] })), 'berth CLI → berthd');
}

await main();
