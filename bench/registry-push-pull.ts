/**
 * Push and pull of a 200 MB image over loopback: Berth's client (berth CLI → berthd) and docker's
 * (docker CLI → a private dockerd), each against Berth's registry and Debian's docker-registry,
 * printed as ratios to docker + docker-registry. Then 5 images pulled at once from Berth's
 * registry by each client. Every registry is a fresh private one per round (so no client can mount
 * a blob it pushed before); each figure is the median of BENCH_ROUNDS rounds (3). Run: `npm run bench` or `node dist/bench/registry-push-pull.js`, as root.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { RegistryProcess } from '../test/helpers/registry-process.js';
import { DebianRegistry } from '../test/helpers/debian-registry.js';
import { startDockerd } from './peers.js';
import { median } from './results.js';

const SIZE_MB = Number(process.env.BENCH_IMAGE_MB ?? 200);
const PARALLEL = 5;
const PARALLEL_MB = Number(process.env.BENCH_PARALLEL_MB ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function makeRootfsTar(path: string, mb: number): Promise<void> {
  const p = pack();
  const done = pipeline(p, createWriteStream(path));
  // Random bytes: compression gains nothing, so every client moves the same bytes.
  const entry = p.entry({ name: 'blob.bin', size: mb << 20, mode: 0o644 });
  for (let i = 0; i < mb; i++) {
    if (!entry.write(randomBytes(1 << 20))) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  entry.end(() => undefined);
  p.finalize();
  await done;
}

function check(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

interface Client {
  name: string;
  cli: (args: string[]) => Promise<RunResult>;
}

interface Server {
  name: string;
  start: () => Promise<{ host: string; stop: () => Promise<void> }>;
}

/** One round: a fresh registry (nothing to mount from), push, remove the image, pull it back. */
async function pushPullOnce(client: Client, server: Server, local: string): Promise<{ push: number; pull: number }> {
  const reg = await server.start();
  try {
    const remote = `${reg.host}/bench/big:1`;
    check(await client.cli(['tag', local, remote]), 'tag');
    const push = await timed(async () => check(await client.cli(['push', remote]), `${client.name} push to ${server.name}`));
    check(await client.cli(['rmi', remote]), 'rmi remote tag');
    check(await client.cli(['rmi', local]), 'rmi local');
    const pull = await timed(async () => check(await client.cli(['pull', remote]), `${client.name} pull from ${server.name}`));
    check(await client.cli(['tag', remote, local]), 'tag back');
    check(await client.cli(['rmi', remote]), 'rmi');
    return { push, pull };
  } finally {
    await reg.stop();
  }
}

/** Medians of ROUNDS rounds: one round of a 200 MB transfer moved by 2x on this VM's noise. */
async function pushPull(client: Client, server: Server, local: string): Promise<{ push: number; pull: number }> {
  const rounds: Array<{ push: number; pull: number }> = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await pushPullOnce(client, server, local));
  return { push: median(rounds.map((r) => r.push)), pull: median(rounds.map((r) => r.pull)) };
}

async function parallelPull(client: Client, server: Server, locals: string[]): Promise<number> {
  const reg = await server.start();
  try {
    const remotes = locals.map((_, i) => `${reg.host}/bench/par${i}:1`);
    for (const [i, local] of locals.entries()) {
      check(await client.cli(['tag', local, remotes[i]!]), 'tag');
      check(await client.cli(['push', remotes[i]!]), 'push');
      check(await client.cli(['rmi', remotes[i]!]), 'rmi');
    }
    for (const local of locals) check(await client.cli(['rmi', local]), 'rmi local');
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with none of the images: the last round's pulls are removed.
      if (round > 0) for (const r of remotes) check(await client.cli(['rmi', r]), 'rmi');
      times.push(await timed(() => Promise.all(remotes.map(async (r) => check(await client.cli(['pull', r]), `${client.name} pull ${r}`)))));
    }
    const t = median(times);
    for (const [i, local] of locals.entries()) {
      check(await client.cli(['tag', remotes[i]!, local]), 'tag back');
      check(await client.cli(['rmi', remotes[i]!]), 'rmi');
    }
    return t;
  } finally {
    await reg.stop();
  }
}

async function main(): Promise<void> {
  const d = await TestDaemon.start();
  const cleanups: Array<() => Promise<unknown>> = [];
  const rows: Array<{ name: string; push: number; pull: number }> = [];
  const parallel: Array<{ name: string; seconds: number }> = [];
  try {
    const big = join(d.root, 'big.tar');
    await makeRootfsTar(big, SIZE_MB);
    const smalls: string[] = [];
    for (let i = 0; i < PARALLEL; i++) {
      smalls.push(join(d.root, `small${i}.tar`));
      await makeRootfsTar(smalls[i]!, PARALLEL_MB);
    }
    const berthServer: Server = {
      name: "Berth's registry",
      start: async () => {
        const r = await RegistryProcess.start();
        return { host: r.host, stop: () => r.stop() };
      },
    };
    const servers: Server[] = [berthServer];
    if (DebianRegistry.available()) {
      servers.push({
        name: 'docker-registry',
        start: async () => {
          const r = await DebianRegistry.start();
          return { host: r.host, stop: () => r.stop() };
        },
      });
    } else process.stdout.write('docker-registry: not installed (apt-get install docker-registry to compare)\n');
    const clients: Client[] = [{ name: 'berth → berthd', cli: (a) => d.berth(a) }];
    const dockerd = await startDockerd(d.root);
    if (dockerd) {
      cleanups.push(() => dockerd.stop());
      clients.push({ name: 'docker → dockerd', cli: dockerd.cli });
    } else process.stdout.write('dockerd: not installed (apt-get install docker.io to compare)\n');
    const local = 'bench-local/big:1';
    const locals = smalls.map((_, i) => `bench-local/par${i}:1`);
    for (const client of clients) {
      check(await client.cli(['import', big, local]), `${client.name} import`);
      for (const [i, s] of smalls.entries()) check(await client.cli(['import', s, locals[i]!]), `${client.name} import`);
      for (const server of servers) rows.push({ name: `${client.name} ⇄ ${server.name}`, ...(await pushPull(client, server, local)) });
      parallel.push({ name: `${client.name} ⇄ ${berthServer.name}`, seconds: await parallelPull(client, berthServer, locals) });
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await d.stop();
  }
  const base = rows.find((r) => r.name === "docker → dockerd ⇄ docker-registry") ?? rows[0];
  const ratio = (a: number, b: number | undefined): string => (b ? (a / b).toFixed(2) : '-');
  process.stdout.write(`\n${SIZE_MB} MB single-layer image (random bytes) over loopback, medians of ${ROUNDS} rounds\n`);
  process.stdout.write(`${'client ⇄ registry'.padEnd(44)}${'push s'.padStart(9)}${'pull s'.padStart(9)}${'push ×'.padStart(9)}${'pull ×'.padStart(9)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(44)}${r.push.toFixed(2).padStart(9)}${r.pull.toFixed(2).padStart(9)}${ratio(r.push, base?.push).padStart(9)}${ratio(r.pull, base?.pull).padStart(9)}\n`);
  }
  process.stdout.write(`(× = time relative to ${base?.name}; lower is faster. dockerd gzips layers on push, Berth pushes them as stored)\n`);
  process.stdout.write(`\n${PARALLEL} images of ${PARALLEL_MB} MB pulled at once, median of ${ROUNDS} rounds\n`);
  const pbase = parallel.find((p) => p.name.startsWith('docker')) ?? parallel[0];
  for (const p of parallel) process.stdout.write(`${p.name.padEnd(44)}${p.seconds.toFixed(2).padStart(9)} s${ratio(p.seconds, pbase?.seconds).padStart(9)}×\n`);
}

await main();
