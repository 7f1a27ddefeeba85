import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../../src/core/run-command.js';
import { mountPoints } from '../../../src/drivers/snapshotter/mountinfo.js';
import {
  monitorBinaryPath,
  startMonitor,
  type MonitorOptions,
  type MonitorStarted,
} from '../../../src/drivers/monitor/monitor-client.js';

export const RUNC = 'runc';
const BUSYBOX_APPLETS = ['sh', 'echo', 'cat', 'sleep', 'stty', 'printf', 'head', 'tr'];

export interface TestContainer {
  id: string;
  bundle: string;
  stateDir: string;
  logPath: string;
}

/**
 * One test file's containers: a busybox rootfs shared read-only by every bundle, a private runc
 * root, and a ledger of every container and monitor made, removed by `cleanup()` even after a
 * failure. Nothing is ever found or deleted by name pattern.
 */
export class MonitorFixture {
  private readonly containers = new Set<string>();
  private readonly monitors = new Set<number>();
  private readonly runId = randomBytes(4).toString('hex');
  private count = 0;

  private constructor(readonly base: string, readonly runtimeRoot: string, private readonly spec: Record<string, unknown>) {}

  static async create(): Promise<MonitorFixture> {
    const base = await mkdtemp(join(tmpdir(), 'berth-test-mon-'));
    const rootfs = join(base, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
    const template = join(base, 'template');
    await mkdir(template);
    await runCommand(RUNC, ['spec', '--bundle', template]);
    const spec = JSON.parse(await readFile(join(template, 'config.json'), 'utf8')) as Record<string, unknown>;
    spec.root = { path: rootfs, readonly: true };
    return new MonitorFixture(base, join(base, 'runc-root'), spec);
  }

  /** A bundle running args, with its own state directory and log path. */
  async container(args: string[], opts: { tty?: boolean } = {}): Promise<TestContainer> {
    const id = `berth-test-mon-${this.runId}-${++this.count}`;
    const bundle = join(this.base, id);
    const stateDir = join(this.base, `${id}.state`);
    await mkdir(bundle);
    await mkdir(stateDir);
    const spec = structuredClone(this.spec);
    const proc = spec.process as Record<string, unknown>;
    proc.args = args;
    proc.terminal = opts.tty ?? false;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    return { id, bundle, stateDir, logPath: join(stateDir, 'container.log') };
  }

  /** The spec's process with other args, as `runc exec --process` takes it. */
  async processFile(c: TestContainer, args: string[], opts: { tty?: boolean } = {}): Promise<string> {
    const proc = { ...(this.spec.process as Record<string, unknown>), args, terminal: opts.tty ?? false };
    const path = join(c.bundle, `process-${++this.count}.json`);
    await writeFile(path, JSON.stringify(proc));
    return path;
  }

  options(c: TestContainer, extra: Partial<MonitorOptions> = {}): MonitorOptions {
    return {
      binary: monitorBinaryPath(),
      id: c.id,
      bundle: c.bundle,
      runtime: RUNC,
      runtimeRoot: this.runtimeRoot,
      stateDir: c.stateDir,
      logPath: c.logPath,
      tty: false,
      stdin: false,
      stdinOnce: false,
      ...extra,
    };
  }

  /** Records the container (and, once known, the monitor) before anything can fail. */
  track(id: string, monitorPid?: number): void {
    this.containers.add(id);
    if (monitorPid !== undefined) this.monitors.add(monitorPid);
  }

  async start(c: TestContainer, extra: Partial<MonitorOptions> = {}): Promise<MonitorStarted> {
    this.track(c.id);
    const started = await startMonitor(this.options(c, extra));
    this.track(c.id, started.monitorPid);
    return started;
  }

  async runc(...args: string[]): Promise<string> {
    return (await runCommand(RUNC, ['--root', this.runtimeRoot, ...args])).stdout;
  }

  async status(id: string): Promise<string> {
    return (JSON.parse(await this.runc('state', id)) as { status: string }).status;
  }

  async cleanup(): Promise<void> {
    for (const id of this.containers) {
      await runCommand(RUNC, ['--root', this.runtimeRoot, 'kill', id, 'KILL'], { allowFailure: true });
      await runCommand(RUNC, ['--root', this.runtimeRoot, 'delete', '-f', id], { allowFailure: true });
    }
    // Monitors end with their containers; give them a moment, then kill any left.
    for (let i = 0; i < 30 && [...this.monitors].some(isRunningMonitor); i++) await sleep(100);
    for (const pid of this.monitors) {
      if (isRunningMonitor(pid)) process.kill(pid, 'SIGKILL');
    }
    const ours = [...(await mountPoints())].filter((m) => m.startsWith(`${this.base}/`));
    for (const m of ours.sort().reverse()) await runCommand('umount', ['--lazy', m], { allowFailure: true });
    await rm(this.base, { recursive: true, force: true });
  }
}

/** A live (not zombie) berth-monitor with this pid: never signal a pid reused by something else. */
export function isRunningMonitor(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return stat.slice(stat.indexOf('(') + 1, close) === 'berth-monitor' && !'ZX'.includes(stat.charAt(close + 2));
  } catch {
    return false;
  }
}

/** Docker's multiplexed stream: [stream, 0, 0, 0, len32be] + payload, repeated. */
export function demux(data: Buffer): { stream: number; payload: string }[] {
  const frames: { stream: number; payload: string }[] = [];
  let off = 0;
  while (off + 8 <= data.length) {
    const len = data.readUInt32BE(off + 4);
    frames.push({ stream: data[off] ?? 0, payload: data.subarray(off + 8, off + 8 + len).toString('utf8') });
    off += 8 + len;
  }
  if (off !== data.length) throw new Error(`multiplexed stream has ${data.length - off} trailing bytes`);
  return frames;
}

/** The json-file log's entries. */
export async function readLog(path: string): Promise<{ log: string; stream: string; time: string }[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
}
