import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A command run on a pseudo-terminal of its own, through util-linux `script` (node-pty is not
 * available): the test writes keystrokes to script's stdin and reads what the terminal shows.
 * `script -e` exits with the command's status. The command runs under `sh -c`, after the shell
 * printed its tty's path (so the test can resize that terminal with `stty -F`) and set its size.
 */
export class PtySession {
  private output = '';
  private readonly exited: Promise<number>;
  /** The slave side, e.g. /dev/pts/7. */
  tty = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => (this.output += b.toString('latin1')));
    child.stderr?.on('data', (b: Buffer) => (this.output += b.toString('latin1')));
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  }

  /** Starts `command` (a shell command line) on a fresh terminal of `rows` x `cols`. */
  static async start(command: string, env: NodeJS.ProcessEnv, size: { rows: number; cols: number } = { rows: 24, cols: 80 }): Promise<PtySession> {
    const line = `tty; stty rows ${size.rows} cols ${size.cols}; ${command}`;
    const child = spawn('script', ['-qfec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.on('error', () => undefined);
    const s = new PtySession(child);
    s.tty = (await s.expect(/(\/dev\/pts\/\d+)\r?\n/))[1] ?? '';
    return s;
  }

  /** Everything the terminal showed so far, with "\r\n" as the terminal sends it. */
  get text(): string {
    return this.output;
  }

  /** Waits until the output (from `from` on) matches; returns the match. */
  async expect(re: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output.slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${String(re)}; it showed:\n${JSON.stringify(this.output)}`);
      if (this.child.exitCode !== null) {
        await sleep(100); // the last bytes may still be in the pipe
        const late = re.exec(this.output.slice(from));
        if (late) return late;
        throw new Error(`terminal exited (${this.child.exitCode}) without showing ${String(re)}:\n${JSON.stringify(this.output)}`);
      }
      await sleep(25);
    }
  }

  /** Types `keys` (sent as they are: "\r" for Enter, "\x10\x11" for ctrl-p ctrl-q). */
  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** The exit status of the command; the session is killed if it does not end in time. */
  async exit(timeoutMs = 15_000): Promise<number> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends script and what runs under it (script hangs up its terminal when it goes). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Quotes one word for `sh -c`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
