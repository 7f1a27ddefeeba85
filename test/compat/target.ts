/**
 * The engine a compat case runs against. Default: a private berthd (TestDaemon). With
 * BERTH_TEST_TARGET=docker: a private dockerd from Debian's docker.io on its own socket, data
 * root and exec root, with no bridge, no iptables and no forwarding changes, so the host's
 * networking is never touched. The same real docker CLI drives both, so every expectation of the
 * suite is checked against Docker's own behaviour.
 *
 * No registry is reachable, so the busybox image the cases use is built by Berth
 * (`berth image bootstrap busybox`), saved, and `docker load`ed into the dockerd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOCKER, run, TestDaemon, type RunResult } from '../helpers/test-daemon.js';
import { RootlessUser } from '../helpers/rootless-user.js';
import { unmountUnder } from '../helpers/mounts.js';
import { removeCgroupParent } from '../helpers/cgroups.js';
import { pickTestNetwork } from '../helpers/test-network.js';

export type TargetName = 'berth' | 'docker';

/**
 * Which engine this run checks: read once, so cases can be skipped at definition time.
 * BERTH_TEST_TARGET=rootless checks a berthd run by a throwaway user (issue 23); it is Berth.
 */
export const TARGET: TargetName = process.env.BERTH_TEST_TARGET === 'docker' ? 'docker' : 'berth';
export const ON_ROOTLESS = process.env.BERTH_TEST_TARGET === 'rootless';
export const ON_BERTH = TARGET === 'berth';
export const ON_DOCKER = TARGET === 'docker';

export interface CliOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

export interface Target {
  name: TargetName;
  /** unix:///path of the engine's socket. */
  host: string;
  socket: string;
  /** A scratch directory of this run (removed by stop()). */
  scratch: string;
  docker(args: string[], opts?: CliOptions): Promise<RunResult>;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * Lines a private dockerd adds that say only that this test setup has no networking (the host's
 * ip_forward is 0 and must stay so); they are not part of the behaviour under test.
 */
const SETUP_NOISE = /^WARNING: IPv4 forwarding is disabled\. Networking will not work\.\n/gm;

function clean(r: RunResult): RunResult {
  return { ...r, stderr: r.stderr.replace(SETUP_NOISE, '') };
}

async function busyboxArchive(into: string): Promise<string> {
  const d = await TestDaemon.start();
  try {
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    if (boot.code !== 0) throw new Error(`bootstrap busybox: ${boot.stderr}`);
    const file = join(into, 'busybox.tar');
    const save = await d.docker(['save', '-o', file, 'busybox:latest']);
    if (save.code !== 0) throw new Error(`save busybox: ${save.stderr}`);
    return file;
  } finally {
    await d.stop();
  }
}

async function startBerth(): Promise<Target> {
  const d = await TestDaemon.start();
  const boot = await d.berth(['image', 'bootstrap', 'busybox']);
  if (boot.code !== 0) {
    await d.stop();
    throw new Error(`bootstrap busybox: ${boot.stderr}`);
  }
  const scratch = join(d.root, 'scratch');
  await mkdir(scratch, { recursive: true });
  return {
    name: 'berth',
    host: d.host,
    socket: d.socket,
    scratch,
    docker: (args, opts) => d.docker(args, opts ?? {}),
    env: (extra) => d.env(extra),
    stop: async () => {
      const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length > 0) await d.docker(['rm', '-f', ...ids]).catch(() => undefined);
      await d.stop();
    },
  };
}

/**
 * A private dockerd; `network` gives its default bridge (none unless a caller makes one for it:
 * the docker-py harness does).
 */
export async function startDockerd(network: string[] = ['--bridge=none']): Promise<Target> {
  if (!existsSync('/usr/sbin/dockerd')) throw new Error('BERTH_TEST_TARGET=docker needs dockerd: apt-get install docker.io');
  const root = await mkdtemp(join(tmpdir(), 'berth-test-dockerd-'));
  const socket = join(root, 'docker.sock');
  const cgroupParent = `/${basename(root)}`;
  const scratch = join(root, 'scratch');
  await mkdir(scratch, { recursive: true });
  await writeFile(join(root, 'daemon.json'), '{}');
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/dockerd', [
    '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '-H', `unix://${socket}`,
    '--pidfile', join(root, 'docker.pid'), '--config-file', join(root, 'daemon.json'),
    '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', ...network,
    '--cgroup-parent', cgroupParent,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(root, 'docker-config'), ...extra });
  const docker = async (args: string[], opts: CliOptions = {}): Promise<RunResult> =>
    clean(await run(DOCKER, args, { env: env(opts.env), ...(opts.input !== undefined ? { input: opts.input } : {}) }));
  const stop = async (): Promise<void> => {
    const ids = (await docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    }
    await removeCgroupParent(cgroupParent);
    await unmountUnder(root);
    await rm(root, { recursive: true, force: true });
  };
  let up = false;
  for (let i = 0; i < 150 && !up; i++) {
    if (child.exitCode !== null) break;
    up = (await docker(['version'])).code === 0;
    if (!up) await sleep(200);
  }
  if (!up) {
    await stop();
    throw new Error(`dockerd did not start:\n${log}`);
  }
  try {
    const archive = await busyboxArchive(scratch);
    const load = await docker(['load', '-i', archive]);
    if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
    await rm(archive);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'docker', host: `unix://${socket}`, socket, scratch, docker, env, stop };
}

/**
 * A private dockerd 20.10 with a default bridge of its own — a bridge this makes on a free
 * 10.N.0.0/16 and deletes in stop() — so tests that need container networking (or BuildKit's RUN
 * steps) compare like for like; still no iptables, masquerade or forwarding changes on the host.
 */
export async function startDockerdWithBridge(): Promise<Target> {
  const net = await pickTestNetwork();
  const bridge = net.bridge;
  const ip = async (args: string[]): Promise<void> => {
    const r = await run('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  };
  await ip(['link', 'add', bridge, 'type', 'bridge']);
  let t: Target;
  try {
    await ip(['addr', 'add', `10.${net.octet}.0.1/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    t = await startDockerd(['--bridge', bridge, '--default-address-pool', `base=10.${net.octet}.0.0/16,size=24`]);
  } catch (err) {
    await run('ip', ['link', 'del', bridge]);
    throw err;
  }
  return {
    ...t,
    stop: async () => {
      await t.stop();
      await run('ip', ['link', 'del', bridge]);
    },
  };
}

/** A berthd of a throwaway user (test/helpers/rootless-user.ts), its busybox bootstrapped by root's CLI. */
async function startRootless(): Promise<Target> {
  const u = new RootlessUser();
  try {
    await u.create();
    await u.launchWithBusybox();
  } catch (err) {
    await u.cleanup();
    throw err;
  }
  const scratch = join(u.root, 'scratch');
  await mkdir(scratch, { recursive: true });
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: `unix://${u.socket}`, DOCKER_CONFIG: join(u.root, 'docker-config'), ...extra });
  const docker = (args: string[], opts: CliOptions = {}): Promise<RunResult> => run(DOCKER, args, { env: env(opts.env), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  return {
    name: 'berth',
    host: `unix://${u.socket}`,
    socket: u.socket,
    scratch,
    docker,
    env,
    stop: async () => {
      const ids = (await docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch(() => undefined);
      await u.cleanup();
    },
  };
}

/** Starts the engine this run checks, with a busybox:latest image in it. */
export function startTarget(): Promise<Target> {
  return TARGET === 'docker' ? startDockerd() : ON_ROOTLESS ? startRootless() : startBerth();
}
