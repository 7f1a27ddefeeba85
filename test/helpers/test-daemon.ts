import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineClient } from '../../src/client/engine-client.js';
import { unmountUnder } from './mounts.js';
import { removeCgroupParent } from './cgroups.js';
import { pickTestNetwork, removeTestNetworking, type TestNetwork } from './test-network.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const NODE = join(REPO_ROOT, 'node_modules/.bin/node');
/** The daemon as bin/berthd runs it: one bundle (scripts/bundle.mjs). */
export const BERTHD_JS = join(REPO_ROOT, 'dist/src/bin/berthd.bundle.mjs');
/** The launcher users run: it picks the Node and the V8 flags berthd runs with. */
export const BERTHD_BIN = join(REPO_ROOT, 'bin/berthd');
/** The CLI as users run it: one bundle (scripts/bundle.mjs), started by bin/berth. */
export const BERTH_JS = join(REPO_ROOT, 'dist/src/bin/berth.bundle.cjs');
export const BERTH_BIN = join(REPO_ROOT, 'bin/berth');
export const DOCKER = '/usr/local/bin/docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A berthd of the test's own: unique data root, exec root and socket under /tmp/berth-test-*,
 * so runs never share state with each other or with a real daemon. `stop()` removes all of it.
 */
export class TestDaemon {
  private child: ChildProcess | undefined;
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly client: EngineClient;
  /** This daemon's own default bridge, subnet and nft table: never berth0, never another run's. */
  net: TestNetwork | undefined;
  logs = '';

  /** A network namespace the daemon runs in (its bridges, routes and nft tables stay there). */
  netns: string | undefined;

  /** More environment for berthd (a private system bus: DBUS_SYSTEM_BUS_ADDRESS). */
  daemonEnv: NodeJS.ProcessEnv = {};

  private constructor(readonly root: string, readonly extraArgs: string[]) {
    this.socket = join(root, 'berth.sock');
    this.dataRoot = join(root, 'data');
    this.execRoot = join(root, 'exec');
    this.client = new EngineClient(this.socket);
  }

  static async start(extraArgs: string[] = []): Promise<TestDaemon> {
    const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
    const d = new TestDaemon(root, extraArgs);
    d.net = await pickTestNetwork();
    await d.launch();
    return d;
  }

  /**
   * A daemon inside the network namespace at `netns` (which the test made and removes), with
   * dockerd's defaults: bridge berth0, subnets from the default pools. Nothing of its networking
   * touches the host's; the namespace's end removes it.
   */
  static async startInNetns(netns: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<TestDaemon> {
    const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
    const d = new TestDaemon(root, extraArgs);
    d.netns = netns;
    d.daemonEnv = env;
    await d.launch();
    return d;
  }

  /** A daemon with the busybox image, as most suites want one; stopped again if the bootstrap fails. */
  static async startWithBusybox(extraArgs: string[] = []): Promise<TestDaemon> {
    const d = await TestDaemon.start(extraArgs);
    const r = await d.berth(['image', 'bootstrap', 'busybox']);
    if (r.code !== 0) {
      await d.stop();
      throw new Error(`berth image bootstrap busybox failed (${r.code}): ${r.stderr}`);
    }
    return d;
  }

  /** The daemon's own CNI config directory (empty: pods get loopback only), never the host's /etc/cni/net.d. */
  get cniConfDir(): string {
    return join(this.root, 'cni', 'net.d');
  }

  /** The CRI v1 server's socket (crictl's runtime endpoint). */
  get criSocket(): string {
    return join(this.root, 'cri.sock');
  }

  /** Containers of this daemon get cgroups under a parent of its own, removed by stop(). */
  get cgroupParent(): string {
    return `/${basename(this.root)}`;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  async launch(): Promise<void> {
    // The registry hosts directory is the daemon's own (`certs.d` under its root): never the host's /etc/berth.
    const args = ['--cgroup-parent', this.cgroupParent, '-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--config-file', join(this.root, 'daemon.json'), '--registry-hosts-dir', join(this.root, 'certs.d'), '--log-level', 'debug', '--cri-socket', this.criSocket, '--cni-conf-dir', this.cniConfDir, ...(this.net?.daemonArgs ?? []), ...this.extraArgs];
    // The config file is optional only at its default path; give the daemon an empty one.
    await import('node:fs/promises').then((fs) => fs.writeFile(join(this.root, 'daemon.json'), '{}'));
    // nsenter execs berthd in place: the child's PID is berthd's.
    const opts = { stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.daemonEnv } };
    const child = this.netns ? spawn('nsenter', [`--net=${this.netns}`, BERTHD_BIN, ...args], opts) : spawn(BERTHD_BIN, args, opts);
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => (this.logs += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.logs += b.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berthd exited early (${child.exitCode}):\n${this.logs}`);
      try {
        await this.client.raw({ method: 'GET', path: '/_ping' }, false).then((r) => r.resume());
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`berthd did not answer on ${this.socket} within 20 s:\n${this.logs}`);
  }

  /** Stops the daemon (SIGTERM, then SIGKILL) and keeps its state, for restart tests. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the daemon and removes every trace of this test daemon. */
  async stop(): Promise<void> {
    await this.halt();
    await removeCgroupParent(this.cgroupParent);
    if (this.net) await removeTestNetworking(this.net, this.dataRoot);
    await unmountUnder(this.root);
    await rm(this.root, { recursive: true, force: true });
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.host, BERTH_HOST: this.host, DOCKER_CONFIG: join(this.root, 'docker-config'), ...extra };
  }

  berth(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return run(BERTH_BIN, args, { env: this.env(opts.env), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  }

  docker(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return run(DOCKER, args, { env: this.env(opts.env), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  }

  async pidFromFile(): Promise<number> {
    return Number((await readFile(join(this.execRoot, 'berthd.pid'), 'utf8')).trim());
  }
}

export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
