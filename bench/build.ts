/**
 * Dockerfile builds: a cold (--no-cache) and a cached build of a 10-step Dockerfile through the
 * docker CLI and berth's CLI against berthd (POST /build), through buildx (Debian's docker-buildx
 * 0.13, docker driver: POST /grpc and /session) against berthd and against a private dockerd's
 * BuildKit, beside docker's legacy builder (DOCKER_BUILDKIT=0, on that dockerd) and podman when
 * installed, printed as ratios.
 * Run: `npm run bench` (or `node dist/bench/build.js`), as root; buildx comes from
 * scripts/install-test-clients.sh. Targets: cold ≤ 0.5 s, cached ≤ docker's.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, run, TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { BUILDX_PLUGIN, privateDockerConfig } from '../test/helpers/outside-tools.js';
import { peerBridge, podmanPeer, startDockerd } from './peers.js';
import { median, printTwoTimingTable, timedOk } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const DOCKERFILE = `FROM busybox
ENV APP=/app
WORKDIR /app
COPY a.txt /app/a.txt
COPY dir /app/dir
RUN echo built > /app/built
RUN for i in 1 2 3; do echo $i >> /app/n; done
LABEL bench=yes
EXPOSE 8080
CMD ["cat", "/app/built"]
`;

async function makeContext(dir: string): Promise<void> {
  await mkdir(join(dir, 'dir/sub'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(dir, 'a.txt'), 'a\n');
  for (let i = 0; i < 20; i++) await writeFile(join(dir, 'dir/sub', `f${i}.txt`), `file ${i}\n`.repeat(100));
}

async function measure(cli: (a: string[]) => Promise<RunResult>, ctx: string, tag: string): Promise<{ cold: number; cached: number }> {
  const cold: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    cold.push(await timedOk(() => cli(['build', '--no-cache', '-q', '-t', tag, ctx]), 'build'));
    cached.push(await timedOk(() => cli(['build', '-q', '-t', tag, ctx]), 'build'));
  }
  return { cold: median(cold), cached: median(cached) };
}

/**
 * The docker CLI with buildx in its plugins, so `docker build` is `docker buildx build` (the
 * builder named "default", docker driver, loading into the daemon's images) against `env`'s daemon.
 */
async function buildxCli(env: NodeJS.ProcessEnv, dir: string): Promise<(a: string[]) => Promise<RunResult>> {
  const bx: NodeJS.ProcessEnv = { ...env, DOCKER_CONFIG: await privateDockerConfig(dir, { buildkit: true }) };
  delete bx.DOCKER_BUILDKIT;
  return (a) => run(DOCKER, a, { env: bx, timeoutMs: 600_000 });
}

/**
 * Why buildx cannot build on this daemon, or undefined when it can: buildx takes the docker driver
 * only when the daemon upgrades POST /grpc; otherwise it falls back to booting a BuildKit
 * container from Docker Hub, which is not what this row measures.
 */
async function buildxUnusable(cli: (a: string[]) => Promise<RunResult>, ctx: string, tag: string): Promise<string | undefined> {
  const r = await cli(['build', '--progress=plain', '-t', tag, ctx]);
  const out = `${r.stdout}${r.stderr}`;
  if (/using docker-container driver/.test(out)) return 'the daemon does not serve BuildKit (POST /grpc), buildx fell back to a BuildKit container';
  if (r.code !== 0) return `the build failed: ${(out.split('\n').find((l) => /error/i.test(l)) ?? out).slice(0, 200)}`;
  if (!/using docker driver/.test(out)) return `buildx did not say which driver it used:\n${out.slice(0, 400)}`;
  return undefined;
}

async function main(): Promise<void> {
  // The docker CLI without buildx uses the legacy builder anyway; this also silences its fallback notice.
  process.env.DOCKER_BUILDKIT = '0';
  const d = await TestDaemon.start();
  const ctx = join(d.root, 'context');
  const results: Array<{ name: string; cold: number; cached: number }> = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    await makeContext(ctx);
    if ((await d.berth(['image', 'bootstrap', 'busybox'])).code !== 0) throw new Error('bootstrap failed');
    const busybox = join(d.root, 'busybox.tar');
    if ((await d.berth(['save', '-o', busybox, 'busybox'])).code !== 0) throw new Error('save failed');
    process.stdout.write(`10-step Dockerfile (2 RUN, 2 COPY), ${ROUNDS} rounds, medians\n`);
    results.push({ name: 'docker CLI → berthd', ...(await measure((a) => d.docker(a), ctx, 'bench-build')) });
    results.push({ name: 'berth CLI → berthd', ...(await measure((a) => d.berth(a), ctx, 'bench-build')) });
    const haveBuildx = existsSync(BUILDX_PLUGIN);
    if (!haveBuildx) process.stdout.write(`buildx rows: skipped: ${BUILDX_PLUGIN} is missing (run scripts/install-test-clients.sh)\n`);
    else {
      const bx = await buildxCli(d.env(), join(d.root, 'buildx-config'));
      const why = await buildxUnusable(bx, ctx, 'bench-buildx');
      if (why) process.stdout.write(`buildx → berthd: skipped: ${why}\n`);
      else results.push({ name: 'buildx → berthd', ...(await measure(bx, ctx, 'bench-buildx')) });
    }
    // dockerd's BuildKit runs RUN steps on its default bridge: it needs one.
    const bridge = await peerBridge(d.net?.octet as number);
    cleanups.push(() => bridge.remove());
    for (const start of [startDockerd, podmanPeer]) {
      const peer = start === startDockerd ? await startDockerd(d.root, { bridge: bridge.name }) : await start(d.root);
      if (!peer) {
        process.stdout.write(`${start === startDockerd ? 'dockerd' : 'podman'}: not installed\n`);
        continue;
      }
      cleanups.push(() => peer.stop());
      const loaded = await peer.cli(['load', '-i', busybox]);
      if (loaded.code !== 0) throw new Error(`${peer.name} load failed: ${loaded.stderr}`);
      const name = peer.name === 'podman' ? 'podman' : 'docker legacy builder';
      try {
        results.push({ name, ...(await measure((a) => peer.cli(a), ctx, 'bench-build')) });
      } catch (err) {
        // A peer that cannot build on this host (podman's runtime on hybrid cgroups) is reported, not fatal.
        process.stdout.write(`${name}: cannot build here: ${((err as Error).message.split('\n').find((l) => /error/i.test(l)) ?? (err as Error).message).slice(0, 200)}\n`);
      }
      if (peer.name !== 'podman' && haveBuildx && peer.env) {
        const bx = await buildxCli(peer.env, join(d.root, 'buildx-config-dockerd'));
        const why = await buildxUnusable(bx, ctx, 'bench-buildx');
        if (why) process.stdout.write(`buildx → dockerd: skipped: ${why}\n`);
        else results.push({ name: 'buildx → dockerd', ...(await measure(bx, ctx, 'bench-buildx')) });
      }
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await d.stop();
  }
  printTwoTimingTable(['cold', 'cached'], results.map((r) => ({ name: r.name, times: [r.cold, r.cached] })), 'docker CLI → berthd');
  const row = (name: string): { cold: number; cached: number } | undefined => results.find((r) => r.name === name);
  const ratios = (a: string, b: string): void => {
    const x = row(a);
    const y = row(b);
    if (x && y) process.stdout.write(`${a} ÷ ${b}: cold ${(x.cold / y.cold).toFixed(2)}×, cached ${(x.cached / y.cached).toFixed(2)}×\n`);
  };
  ratios('buildx → berthd', 'buildx → dockerd');
  ratios('buildx → berthd', 'docker CLI → berthd');
  ratios('buildx → dockerd', 'docker legacy builder');
}

await main();
