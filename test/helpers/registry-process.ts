import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH_JS, NODE } from './test-daemon.js';

/**
 * A `berth registry serve` of the test's own on a free loopback port (`--listen 127.0.0.1:0`),
 * with its root under /tmp/berth-registry-*; stop() ends it (by its PID) and removes the root.
 */
export class RegistryProcess {
  logs = '';
  private child: ChildProcess | undefined;
  port = 0;
  /** A network namespace to serve in (launch() again after setting it: the port is kept). */
  netns: string | undefined;

  private constructor(readonly root: string, readonly dataDir: string, readonly args: string[]) {}

  static async start(args: string[] = [], root?: string): Promise<RegistryProcess> {
    const dir = root ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
    const r = new RegistryProcess(dir, join(dir, 'data'), args);
    await r.launch();
    return r;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async launch(extra: string[] = []): Promise<void> {
    const argv = [NODE, BERTH_JS, 'registry', 'serve', '--listen', `127.0.0.1:${this.port}`, '--root', this.dataDir, ...this.args, ...extra];
    const child = this.netns ? spawn('nsenter', [`--net=${this.netns}`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (b: Buffer) => (this.logs += b.toString()));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`registry did not start:\n${this.logs}`)), 20_000);
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`registry exited (${code}):\n${this.logs}`));
      });
    });
  }

  /** Ends the process and keeps the data, for restarts with other options. */
  async halt(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // The CLI passes SIGTERM on to the registry process it started.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.halt();
    await rm(this.root, { recursive: true, force: true });
  }

  /** Bytes of blob bodies the registry sent (from its request log). */
  blobBytesSent(): number {
    let total = 0;
    for (const line of this.logs.split('\n')) {
      if (!line.includes('"msg":"request"') || !line.includes('/blobs/sha256:')) continue;
      const m = /"method":"GET".*"bytes":(\d+)/.exec(line);
      if (m) total += Number(m[1]);
    }
    return total;
  }
}
