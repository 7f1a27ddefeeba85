import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * test/tools/cri-stream-client, built by scripts/install-test-clients.sh: client-go's
 * remotecommand executors and port-forward dialers, the client side of the CRI streaming tests.
 */

export const CLIENT_GO_VERSION = 'v0.37.2';
const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const CRI_STREAM_CLIENT = join(REPO_ROOT, `.cache/test-clients/cri-stream-client-${CLIENT_GO_VERSION}/cri-stream-client`);

export function requireCriStreamClient(): void {
  if (!existsSync(CRI_STREAM_CLIENT)) throw new Error(`${CRI_STREAM_CLIENT} is missing: run scripts/install-test-clients.sh (as root) first`);
}

/** A running client: its stdin, its fd 3 (terminal sizes), and what it printed. */
export class StreamClient {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => (this.stdout += b.toString('latin1')));
    child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString('latin1')));
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  }

  static start(args: string[]): StreamClient {
    requireCriStreamClient();
    return new StreamClient(spawn(CRI_STREAM_CLIENT, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }));
  }

  /** Runs to the end with `input` on stdin (closed after it). */
  static async run(args: string[], input = '', timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = StreamClient.start(args);
    c.child.stdin?.end(input);
    const code = await c.exit(timeoutMs);
    return { code, stdout: c.stdout, stderr: c.stderr };
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  /** A terminal resize, read by the client from its fd 3. */
  resize(rows: number, cols: number): void {
    const fd3 = this.child.stdio[3];
    if (fd3 && 'write' in fd3) fd3.write(`${rows} ${cols}\n`);
  }

  /** Waits until stdout (from `from` on) matches. */
  async expect(re: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.stdout.slice(from));
      if (m) return m;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`client never printed ${String(re)}; stdout ${JSON.stringify(this.stdout)}, stderr ${JSON.stringify(this.stderr)}`);
      }
      await sleep(20);
    }
  }

  /** The exit status; the client is killed if it does not end in time. */
  async exit(timeoutMs = 20_000): Promise<number> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
