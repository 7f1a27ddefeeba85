import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH_BIN, BERTHD_BIN, DOCKER, run, type RunResult } from '../../helpers/test-daemon.js';

/**
 * Issue 23: berthd started by an ordinary user. Each run makes its own user (berthrl<random>)
 * with a sub-ID range that overlaps no other, runs berthd as that user, and removes the user,
 * its /etc/subuid and /etc/subgid lines, its processes (by PID) and its files, even on failure.
 */
const NAME = `berthrl${randomBytes(3).toString('hex')}`;
const ROOT = `/tmp/${NAME}`;
const HOME = join(ROOT, 'home');
const XDG = join(ROOT, 'run');
const SOCKET = join(XDG, 'berth/berth.sock');
const DATA = join(HOME, '.local/share/berth');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

let uid = -1;
let subStart = -1;
let launcher: ChildProcess | undefined;
let launcherLog = '';

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
  return Math.ceil(end / 65536) * 65536 + 65536 * randomBytes(1)[0]!;
}

async function dropSubIdLines(): Promise<void> {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const kept = text.split('\n').filter((l) => !l.startsWith(`${NAME}:`)).join('\n');
    if (kept !== text) await writeFile(file, kept);
  }
}

/** PIDs of every process running as the test user (read from /proc, never matched by name). */
async function userPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    if (m && (Number(m[1]) === uid || Number(m[2]) === uid)) pids.push(Number(entry));
  }
  return pids;
}

async function waitNoUserProcesses(ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = await userPids();
  while (left.length > 0 && Date.now() < until) {
    await sleep(100);
    left = await userPids();
  }
  return left;
}

/** A command as the test user, with a login-like environment and nothing of root's. */
function asUser(file: string, args: string[], extra: Record<string, string> = {}): Promise<RunResult> {
  return run('setpriv', ['--reuid', NAME, '--regid', NAME, '--init-groups', 'env', '-i', `HOME=${HOME}`, `XDG_RUNTIME_DIR=${XDG}`, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`), file, ...args], { timeoutMs: 120_000 });
}

const docker = (args: string[]): Promise<RunResult> => run(DOCKER, ['-H', `unix://${SOCKET}`, ...args], { timeoutMs: 120_000 });

function launch(): void {
  launcherLog = '';
  launcher = spawn('setpriv', ['--reuid', NAME, '--regid', NAME, '--init-groups', 'env', '-i', `HOME=${HOME}`, `XDG_RUNTIME_DIR=${XDG}`, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, BERTHD_BIN], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  launcher.stdout?.on('data', (b: Buffer) => (launcherLog += b.toString()));
  launcher.stderr?.on('data', (b: Buffer) => (launcherLog += b.toString()));
}

async function waitForSocket(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await exists(SOCKET)) return;
    if (launcher?.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`rootless berthd did not come up:\n${launcherLog}`);
}

describe('rootless berthd (issue 23)', { timeout: 600_000 }, () => {
  before(async () => {
    const add = await run('useradd', ['-M', '-d', HOME, '-s', '/usr/sbin/nologin', NAME]);
    assert.equal(add.code, 0, add.stderr);
    uid = Number((await run('id', ['-u', NAME])).stdout.trim());
    // useradd may have given the user a range of its own: replace it with ours.
    await dropSubIdLines();
    subStart = await freeSubIdStart();
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const text = await readFile(file, 'utf8').catch(() => '');
      await writeFile(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${NAME}:${subStart}:65536\n`);
    }
    await mkdir(HOME, { recursive: true });
    await mkdir(XDG, { recursive: true });
    await chmod(ROOT, 0o755);
    await chown(HOME, uid, uid);
    await chown(XDG, uid, uid);
    await chmod(XDG, 0o700);
    launch();
    await waitForSocket();
    const boot = await run(BERTH_BIN, ['image', 'bootstrap', 'busybox'], { env: { ...process.env, BERTH_HOST: `unix://${SOCKET}` }, timeoutMs: 300_000 });
    assert.equal(boot.code, 0, boot.stderr);
  });

  after(async () => {
    if (launcher && launcher.exitCode === null) launcher.kill('SIGTERM');
    let left = uid >= 0 ? await waitNoUserProcesses(15_000) : [];
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (left.length > 0) left = await waitNoUserProcesses(5_000);
    await run('userdel', [NAME]);
    await dropSubIdLines();
    await rm(ROOT, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no process of the test user outlives the test');
  });

  test('an ordinary user\'s berthd is rootless by itself: XDG socket, data root in the home', async () => {
    const st = await stat(SOCKET);
    assert.equal(st.uid, uid, 'the socket belongs to the user');
    assert.ok(await exists(join(DATA, 'berthd.lock')), 'the data root is ~/.local/share/berth');
    // The CLI finds the user's own socket when neither DOCKER_HOST nor BERTH_HOST is set.
    const v = await asUser(BERTH_BIN, ['version', '--format', '{{.Server.ApiVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '1.50');
  });

  test('the daemon\'s network namespace has its outbound link from slirp4netns, and bridge containers route through it', async () => {
    const inner = (await userPids()).find((p) => p !== launcher?.pid);
    assert.ok(inner, 'the inner daemon runs as the user');
    const tap = await run('nsenter', ['-t', String(inner), '-n', 'ip', '-4', '-o', 'addr', 'show', 'tap0']);
    assert.equal(tap.code, 0, tap.stderr);
    assert.match(tap.stdout, /inet 10\.0\.2\.100\/24/);
    const route = await docker(['run', '--rm', 'busybox', 'ip', 'route']);
    assert.equal(route.code, 0, route.stderr);
    assert.match(route.stdout, /^default via \S+ dev eth0/m);
  });

  test('-p 127.0.0.1:PORT:80 answers on the host\'s loopback; -p 80:80 is refused clearly', async () => {
    const port = 20000 + randomBytes(2).readUInt16BE() % 20000;
    const c = await docker(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'echo rootless-hello > /i.html && httpd -f -p 80 -h /']);
    assert.equal(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    try {
      let body = '';
      for (let i = 0; i < 50 && body === ''; i++) {
        body = await fetch(`http://127.0.0.1:${port}/i.html`).then((r) => r.text(), () => '');
        if (body === '') await sleep(100);
      }
      assert.equal(body.trim(), 'rootless-hello');
      const ps = await docker(['port', id]);
      assert.match(ps.stdout, new RegExp(`80/tcp -> 127\\.0\\.0\\.1:${port}`));
    } finally {
      await docker(['rm', '-f', id]);
    }
    const start = Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim());
    if (start > 80) {
      const low = await docker(['run', '--rm', '-p', '80:80', 'busybox', 'true']);
      assert.notEqual(low.code, 0);
      assert.match(low.stderr, /rootless berthd cannot publish 0\.0\.0\.0:80: ports below \d+ need root \(net\.ipv4\.ip_unprivileged_port_start=/);
    }
  });

  test('overlay2 in the user namespace (userxattr); a build with RUN, whose deletions hide lower files', async () => {
    const info = await docker(['info', '--format', '{{.Driver}}']);
    assert.equal(info.stdout.trim(), 'overlay2', info.stderr);
    const ctx = join(ROOT, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN rm /bin/uname && mkdir -p /etc/opq && touch /etc/opq/x && chown 1:1 /etc/opq/x\nRUN rm -rf /etc/opq && mkdir /etc/opq && touch /etc/opq/y\n');
    const b = await run(DOCKER, ['-H', `unix://${SOCKET}`, 'build', '-q', '-t', `${NAME}img`, ctx], { timeoutMs: 300_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    assert.equal(b.code, 0, b.stderr);
    const r = await docker(['run', '--rm', '--network', 'none', `${NAME}img`, 'sh', '-c', 'ls /bin/uname 2>&1; ls /etc/opq; stat -c %u /etc/opq/y']);
    assert.match(r.stdout, /No such file/);
    assert.match(r.stdout, /^y$/m);
    assert.doesNotMatch(r.stdout, /^x$/m);
    assert.match(r.stdout, /^0$/m);
  });

  test('a user network and its embedded DNS work inside the rootless namespace', async () => {
    const net = `${NAME}net`;
    assert.equal((await docker(['network', 'create', net])).code, 0);
    const srv = await docker(['run', '-d', '--network', net, '--name', `${NAME}srv`, 'busybox', 'sleep', '60']);
    assert.equal(srv.code, 0, srv.stderr);
    try {
      const r = await docker(['run', '--rm', '--network', net, 'busybox', 'sh', '-c', `nslookup ${NAME}srv && ping -c 1 -W 5 ${NAME}srv`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 packets received/);
    } finally {
      await docker(['rm', '-f', `${NAME}srv`]);
      await docker(['network', 'rm', net]);
    }
  });

  test('docker run --rm busybox id -u prints 0', async () => {
    const r = await docker(['run', '--rm', '--network', 'none', 'busybox', 'id', '-u']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });

  test('container root is the user on the host; container uid 1 is the first subordinate ID', async () => {
    const bind = join(ROOT, 'bind');
    await mkdir(bind);
    await chown(bind, uid, uid);
    const r = await docker(['run', '--rm', '--network', 'none', '-v', `${bind}:/b`, '-v', `${NAME}vol:/v`, 'busybox', 'sh', '-c', 'touch /b/by-root /v/by-root /v/by-one && chown 1:1 /v/by-one']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(join(bind, 'by-root'))).uid, uid, 'a file written to a bind mount belongs to the user');
    const vol = join(DATA, 'volumes', `${NAME}vol`, '_data');
    assert.equal((await stat(join(vol, 'by-root'))).uid, uid);
    const one = await stat(join(vol, 'by-one'));
    assert.equal(one.uid, subStart, 'container uid 1 is the first subordinate user ID');
    assert.equal(one.gid, subStart, 'container gid 1 is the first subordinate group ID');
  });

  test('a root-only host file stays unreadable through a bind mount', async () => {
    const secret = join(ROOT, 'secret');
    await writeFile(secret, 'root only\n', { mode: 0o600 });
    const r = await docker(['run', '--rm', '--network', 'none', '-v', `${secret}:/s`, 'busybox', 'cat', '/s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /Permission denied/);
    assert.doesNotMatch(r.stdout, /root only/);
  });

  test('-m/--cpus/--pids-limit warn once and inspect shows them not applied', async () => {
    const c = await docker(['create', '--network', 'none', '-m', '64m', '--cpus', '1', '--pids-limit', '10', 'busybox', 'true']);
    assert.equal(c.code, 0, c.stderr);
    const warnings = c.stderr.split('\n').filter((l) => /WARNING/.test(l));
    assert.equal(warnings.length, 1, c.stderr);
    assert.match(warnings[0]!, /--memory.*--pids-limit.*--cpus not applied/);
    const id = c.stdout.trim();
    const i = await docker(['inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', id]);
    assert.match(i.stdout.trim(), /^0 0 (<nil>|<no value>)$/);
    assert.equal((await docker(['start', '-a', id])).code, 0);
    assert.equal((await docker(['rm', id])).code, 0);
  });

  test('berthd without XDG_RUNTIME_DIR, or with one that is not the user\'s, says so', async () => {
    const none = await run('setpriv', ['--reuid', NAME, '--regid', NAME, '--init-groups', 'env', '-i', `HOME=${HOME}`, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, BERTHD_BIN], { timeoutMs: 30_000 });
    assert.equal(none.code, 125);
    assert.match(none.stderr, /needs XDG_RUNTIME_DIR .* it is not set/);
    const foreign = await asUser(BERTHD_BIN, [], { XDG_RUNTIME_DIR: '/tmp' });
    assert.equal(foreign.code, 125);
    assert.match(foreign.stderr, /XDG_RUNTIME_DIR=\/tmp belongs to uid 0, not to you/);
  });

  test('SIGTERM to berthd stops it and the daemon in its user namespace', async () => {
    assert.ok(launcher?.pid);
    launcher.kill('SIGTERM');
    assert.deepEqual(await waitNoUserProcesses(20_000), []);
    assert.equal(await exists(SOCKET), false, 'the socket is removed');
    launch();
    await waitForSocket();
  });

  test('kill -9 of berthd: the daemon goes with it and leaves no root-owned file in the data root', async () => {
    assert.ok(launcher?.pid);
    launcher.kill('SIGKILL');
    assert.deepEqual(await waitNoUserProcesses(20_000), [], 'the inner daemon stops when the berthd its user started dies');
    const rootOwned = await run('find', [DATA, '-uid', '0']);
    assert.equal(rootOwned.code, 0, rootOwned.stderr);
    assert.equal(rootOwned.stdout.trim(), '');
  });
});
