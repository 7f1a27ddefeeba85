/**
 * A throwaway user for rootless berthd (issue 23): `berthrl<random>`, its own home and
 * XDG_RUNTIME_DIR under /tmp/<name>, and a sub-ID range past every existing one. `cleanup()`
 * removes the user, its /etc/subuid and /etc/subgid lines, its processes (by PID, from /proc)
 * and its files, and gives /dev/net/tun back its mode; call it even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH_BIN, BERTHD_BIN, DOCKER, run, type RunResult } from './test-daemon.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * slirp4netns opens /dev/net/tun as the user. udev makes it 0666 on most hosts; where it is not
 * (a VM of this project's CI left it 0600), it is opened as `berth system setup-rootless --user`
 * would, while any test user exists, and the host's own mode is put back after the last one.
 */
const TUN = '/dev/net/tun';
let tunUsers = 0;
let tunMode: number | undefined;

async function openTun(): Promise<void> {
  if (tunUsers++ > 0) return;
  const st = await stat(TUN).catch(() => undefined);
  if (!st || (st.mode & 0o006) === 0o006) return;
  tunMode = st.mode & 0o7777;
  await chmod(TUN, tunMode | 0o666);
}

async function restoreTun(): Promise<void> {
  if (--tunUsers > 0 || tunMode === undefined) return;
  await chmod(TUN, tunMode).catch(() => undefined);
  tunMode = undefined;
}

export class RootlessUser {
  readonly name = `berthrl${randomBytes(3).toString('hex')}`;
  readonly root = `/tmp/${this.name}`;
  readonly home = join(this.root, 'home');
  readonly xdg = join(this.root, 'run');
  readonly socket = join(this.xdg, 'berth/berth.sock');
  readonly dataRoot = join(this.home, '.local/share/berth');
  uid = -1;
  subStart = -1;
  launcher: ChildProcess | undefined;
  log = '';
  private tunOpened = false;

  /** Creates the user, its sub-ID range, home and XDG_RUNTIME_DIR. */
  async create(): Promise<void> {
    const add = await run('useradd', ['-M', '-d', this.home, '-s', '/usr/sbin/nologin', this.name]);
    if (add.code !== 0) throw new Error(`useradd ${this.name}: ${add.stderr}`);
    this.uid = Number((await run('id', ['-u', this.name])).stdout.trim());
    // useradd may have given the user a range of its own: replace it with ours.
    await this.dropSubIdLines();
    this.subStart = await freeSubIdStart();
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const text = await readFile(file, 'utf8').catch(() => '');
      await writeFile(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${this.name}:${this.subStart}:65536\n`);
    }
    await mkdir(this.home, { recursive: true });
    await mkdir(this.xdg, { recursive: true });
    await chmod(this.root, 0o755);
    await chown(this.home, this.uid, this.uid);
    await chown(this.xdg, this.uid, this.uid);
    await chmod(this.xdg, 0o700);
    await openTun();
    this.tunOpened = true;
  }

  /** setpriv's prefix for a command as the user, with a login-like environment and nothing of root's. */
  env(extra: Record<string, string> = {}, withXdg = true): string[] {
    return ['--reuid', this.name, '--regid', this.name, '--init-groups', 'env', '-i', `HOME=${this.home}`, ...(withXdg ? [`XDG_RUNTIME_DIR=${this.xdg}`] : []), `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  }

  run(file: string, args: string[], extra: Record<string, string> = {}): Promise<RunResult> {
    return run('setpriv', [...this.env(extra), file, ...args], { timeoutMs: 120_000 });
  }

  docker(args: string[]): Promise<RunResult> {
    return run(DOCKER, ['-H', `unix://${this.socket}`, ...args], { timeoutMs: 120_000 });
  }

  /**
   * Starts berthd as the user and waits for its socket. In `netns` (a namespace the test made),
   * that namespace is the user's "host": its ports and its sysctls are what berthd meets.
   */
  async launch(netns?: string): Promise<void> {
    this.log = '';
    const argv = ['setpriv', ...this.env(), BERTHD_BIN];
    const l = netns ? spawn('nsenter', [`--net=${netns}`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' }) : spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
    this.launcher = l;
    l.stdout?.on('data', (b: Buffer) => (this.log += b.toString()));
    l.stderr?.on('data', (b: Buffer) => (this.log += b.toString()));
    for (let i = 0; i < 300; i++) {
      if (await exists(this.socket)) return;
      if (l.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`rootless berthd did not come up:\n${this.log}`);
  }

  /** launch(), then a busybox image bootstrapped into the user's daemon by root's CLI; the daemon's host URL. */
  async launchWithBusybox(netns?: string): Promise<string> {
    await this.launch(netns);
    const host = `unix://${this.socket}`;
    const boot = await run(BERTH_BIN, ['image', 'bootstrap', 'busybox'], { env: { ...process.env, BERTH_HOST: host }, timeoutMs: 300_000 });
    if (boot.code !== 0) throw new Error(`bootstrap busybox: ${boot.stderr}`);
    return host;
  }

  /** PIDs of every process running as the user (read from /proc, never matched by name). */
  async pids(): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
      const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
      if (m && (Number(m[1]) === this.uid || Number(m[2]) === this.uid)) pids.push(Number(entry));
    }
    return pids;
  }

  async waitNoProcesses(ms: number): Promise<number[]> {
    const until = Date.now() + ms;
    let left = await this.pids();
    while (left.length > 0 && Date.now() < until) {
      await sleep(100);
      left = await this.pids();
    }
    return left;
  }

  /** Everything goes; returns the PIDs that had to be killed (none when the daemon stopped cleanly). */
  async cleanup(): Promise<number[]> {
    if (this.launcher && this.launcher.exitCode === null) this.launcher.kill('SIGTERM');
    const left = this.uid >= 0 ? await this.waitNoProcesses(15_000) : [];
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (left.length > 0) await this.waitNoProcesses(5_000);
    await run('userdel', [this.name]);
    await this.dropSubIdLines();
    await rm(this.root, { recursive: true, force: true });
    if (this.tunOpened) {
      this.tunOpened = false;
      await restoreTun();
    }
    return left;
  }

  private async dropSubIdLines(): Promise<void> {
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const kept = text.split('\n').filter((l) => !l.startsWith(`${this.name}:`)).join('\n');
      if (kept !== text) await writeFile(file, kept);
    }
  }
}

/** A range past every existing one in both files, so that the test user shares no host ID. */
async function freeSubIdStart(): Promise<number> {
  let end = 3_000_000_000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [, s, c] = line.split(':');
      if (s !== undefined && c !== undefined) end = Math.max(end, Number(s) + Number(c));
    }
  }
  return Math.ceil(end / 65536) * 65536 + 65536 * (randomBytes(1)[0] ?? 0);
}
