import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { constants } from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { StreamingBackend, StreamIO, StreamOptions, TerminalSize } from '../../src/api/cri/streaming/backend.js';

/**
 * A StreamingBackend that runs commands on this host instead of in containers, so the streaming
 * protocols can be tested against real processes before the engine is wired in: exec spawns the
 * command (on a pseudo-terminal through util-linux `script` when a tty is asked for, resized with
 * `stty -F`), attach joins a process the test started under a name, and port-forward dials
 * 127.0.0.1:PORT. Container and pod ids are only names here.
 */

const run = promisify(execFile);

export interface AttachTarget {
  child: ChildProcess;
}

export class HostStreamingBackend implements StreamingBackend {
  /** Processes attach can join, by container id. */
  readonly attachable = new Map<string, ChildProcess>();
  /** Every exec's command line and options, for the tests to check what arrived. */
  readonly execs: Array<{ containerId: string; cmd: string[]; opts: StreamOptions }> = [];
  /** Every size a resize stream delivered. */
  readonly sizes: TerminalSize[] = [];
  readonly forwarded: Array<{ podSandboxId: string; port: number }> = [];
  /** Each exec's end: its exit status and whether the client had gone away. */
  readonly finished: Array<{ cmd: string[]; exitCode: number; aborted: boolean }> = [];

  async exec(containerId: string, cmd: string[], opts: StreamOptions, io: StreamIO): Promise<{ exitCode: number }> {
    this.execs.push({ containerId, cmd, opts });
    if (!opts.tty) {
      // A process group of its own, so that a client leaving ends the command's children too.
      const child = spawn(cmd[0] ?? 'false', cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const exitCode = await this.connect(child, io);
      this.finished.push({ cmd, exitCode, aborted: io.signal.aborted });
      return { exitCode };
    }
    // The first size arrives right after the streams open; the shell applies it before the command runs.
    const sizes = io.resize[Symbol.asyncIterator]();
    const first = await Promise.race([sizes.next(), sleep(2000).then(() => undefined)]);
    const size = first && !first.done ? first.value : { width: 80, height: 24 };
    this.sizes.push(size);
    const line = `stty rows ${size.height} cols ${size.width}; exec ${cmd.map(shellQuote).join(' ')}`;
    const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    void this.followResizes(child, sizes);
    return { exitCode: await this.connect(child, io) };
  }

  async attach(containerId: string, _opts: StreamOptions, io: StreamIO): Promise<void> {
    const child = this.attachable.get(containerId);
    if (!child) throw new Error(`no process named "${containerId}" to attach to`);
    await this.connect(child, io);
  }

  async portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    this.forwarded.push({ podSandboxId, port });
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const onAbort = (): void => void socket.destroy();
    signal.addEventListener('abort', onAbort);
    stream.pipe(socket);
    socket.pipe(stream, { end: false });
    stream.on('close', () => socket.end());
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    signal.removeEventListener('abort', onAbort);
  }

  /** Wires a child's stdio to the session's streams; resolves with its exit status once its output is written. */
  private connect(child: ChildProcess, io: StreamIO): Promise<number> {
    if (io.stdin && child.stdin) {
      io.stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    } else child.stdin?.end();
    const outputs: Array<Promise<void>> = [];
    const copy = (from: Readable | null, to: NodeJS.WritableStream | undefined): void => {
      if (!from) return;
      if (!to) return void from.resume();
      from.pipe(to, { end: false });
      outputs.push(new Promise((resolve) => from.once('end', resolve)));
    };
    copy(child.stdout, io.stdout);
    copy(child.stderr, io.stderr);
    const onAbort = (): void => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // not a group leader (attach's processes)
      }
    };
    io.signal.addEventListener('abort', onAbort);
    return new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => {
        io.signal.removeEventListener('abort', onAbort);
        void Promise.all(outputs).then(() => resolve(code ?? 128 + (sig ? constants.signals[sig] : 0)));
      });
    });
  }

  /** Applies each later size to the terminal of the command `script` runs. */
  private async followResizes(script: ChildProcess, sizes: AsyncIterator<TerminalSize>): Promise<void> {
    for (;;) {
      const next = await sizes.next();
      if (next.done) return;
      this.sizes.push(next.value);
      const tty = await terminalOf(script.pid ?? 0);
      if (!tty) return;
      await run('stty', ['-F', tty, 'rows', String(next.value.height), 'cols', String(next.value.width)]).catch(() => undefined);
    }
  }
}

/** The pseudo-terminal `script` gave its child (the slave side, /dev/pts/N). */
async function terminalOf(scriptPid: number): Promise<string | undefined> {
  for (let i = 0; i < 50; i++) {
    const children = await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').catch(() => '');
    const child = children.trim().split(/\s+/)[0];
    if (child) {
      const target = await readlink(`/proc/${child}/fd/0`).catch(() => '');
      if (target.startsWith('/dev/pts/')) return target;
    }
    await sleep(20);
  }
  return undefined;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
