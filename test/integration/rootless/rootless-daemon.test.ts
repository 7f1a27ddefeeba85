import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH_BIN, BERTHD_BIN, DOCKER, run, type RunResult } from '../../helpers/test-daemon.js';
import { RootlessUser } from '../../helpers/rootless-user.js';

/**
 * Issue 23: berthd started by an ordinary user. Each run makes its own user (berthrl<random>)
 * with a sub-ID range that overlaps no other, runs berthd as that user, and removes the user,
 * its /etc/subuid and /etc/subgid lines, its processes (by PID) and its files, even on failure.
 */
const u = new RootlessUser();
const NAME = u.name;
const ROOT = u.root;
const SOCKET = u.socket;
const DATA = u.dataRoot;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const docker = (args: string[]): Promise<RunResult> => u.docker(args);

/**
 * The user's "host" is a network namespace of the test's own, with ports below 1024 kept for
 * root (`ip_unprivileged_port_start` is per namespace; this machine's own is 0): what the user's
 * berthd publishes is bound there, and reached there.
 */
const HOST_NS = join(ROOT, 'host-netns');

/** An HTTP GET from the user's host namespace; '' when nothing answers. */
async function getInHost(url: string): Promise<string> {
  const r = await run('nsenter', [`--net=${HOST_NS}`, 'curl', '-s', '--max-time', '2', url]);
  return r.code === 0 ? r.stdout : '';
}

describe('rootless berthd (issue 23)', { timeout: 600_000 }, () => {
  before(async () => {
    await u.create();
    await writeFile(HOST_NS, '');
    const ns = await run('unshare', [`--net=${HOST_NS}`, 'sh', '-c', 'ip link set lo up && sysctl -qw net.ipv4.ip_unprivileged_port_start=1024']);
    assert.equal(ns.code, 0, ns.stderr);
    await u.launch(HOST_NS);
    const boot = await run(BERTH_BIN, ['image', 'bootstrap', 'busybox'], { env: { ...process.env, BERTH_HOST: `unix://${SOCKET}` }, timeoutMs: 300_000 });
    assert.equal(boot.code, 0, boot.stderr);
  });

  after(async () => {
    // The namespace's bind goes first: cleanup() removes the directory it lives in.
    await run('umount', ['-l', HOST_NS]);
    const left = await u.cleanup();
    assert.deepEqual(left, [], 'no process of the test user outlives the test');
  });

  test('an ordinary user\'s berthd is rootless by itself: XDG socket, data root in the home', async () => {
    const st = await stat(SOCKET);
    assert.equal(st.uid, u.uid, 'the socket belongs to the user');
    assert.ok(await exists(join(DATA, 'berthd.lock')), 'the data root is ~/.local/share/berth');
    // The CLI finds the user's own socket when neither DOCKER_HOST nor BERTH_HOST is set.
    const v = await u.run(BERTH_BIN, ['version', '--format', '{{.Server.ApiVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '1.50');
  });

  test('berth system setup-rootless: the user\'s check passes, one line each; as root, --user is needed', async () => {
    const mine = await u.run(BERTH_BIN, ['system', 'setup-rootless']);
    assert.equal(mine.code, 0, mine.stdout + mine.stderr);
    assert.match(mine.stdout, new RegExp(`^ok +/etc/subuid: ${NAME} has 65536 subordinate user IDs from ${u.subStart}$`, 'm'));
    assert.match(mine.stdout, /^ok +newuidmap and newgidmap are installed/m);
    assert.match(mine.stdout, new RegExp(`^ok +/dev/net/tun is open to ${NAME} `, 'm'));
    assert.match(mine.stdout, /^ready: as /m);
    const asRoot = await run(BERTH_BIN, ['system', 'setup-rootless']);
    assert.equal(asRoot.code, 1);
    assert.match(asRoot.stderr, /as root, name the user who will run berthd/);
    const prepared = await run(BERTH_BIN, ['system', 'setup-rootless', '--user', NAME]);
    assert.equal(prepared.code, 0, prepared.stdout + prepared.stderr);
    assert.equal((await readFile('/etc/subuid', 'utf8')).split('\n').filter((l) => l.startsWith(`${NAME}:`)).length, 1, 'a user who has a range gets no second one');
  });

  test('the daemon\'s network namespace has its outbound link from slirp4netns, and bridge containers route through it', async () => {
    const inner = (await u.pids()).find((p) => p !== u.launcher?.pid);
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
        body = await getInHost(`http://127.0.0.1:${port}/i.html`);
        if (body === '') await sleep(100);
      }
      assert.equal(body.trim(), 'rootless-hello');
      const ps = await docker(['port', id]);
      assert.match(ps.stdout, new RegExp(`80/tcp -> 127\\.0\\.0\\.1:${port}`));
    } finally {
      await docker(['rm', '-f', id]);
    }
    const low = await docker(['run', '--rm', '-p', '80:80', 'busybox', 'true']);
    assert.notEqual(low.code, 0);
    assert.match(low.stderr, /rootless berthd cannot publish 0\.0\.0\.0:80: ports below 1024 need root \(net\.ipv4\.ip_unprivileged_port_start=/);
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

  test('top lists the container\'s processes without a cgroup; pause is refused with why', async () => {
    const c = await docker(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'sleep 300 & exec sleep 301']);
    assert.equal(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    try {
      const top = await docker(['top', id]);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /sleep 300/);
      assert.match(top.stdout, /sleep 301/);
      const p = await docker(['pause', id]);
      assert.notEqual(p.code, 0);
      assert.match(p.stderr, /pausing needs the cgroup freezer, and a rootless berthd on this host has no cgroup delegation/);
    } finally {
      await docker(['rm', '-f', id]);
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
    await chown(bind, u.uid, u.uid);
    const r = await docker(['run', '--rm', '--network', 'none', '-v', `${bind}:/b`, '-v', `${NAME}vol:/v`, 'busybox', 'sh', '-c', 'touch /b/by-root /v/by-root /v/by-one && chown 1:1 /v/by-one']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(join(bind, 'by-root'))).uid, u.uid, 'a file written to a bind mount belongs to the user');
    const vol = join(DATA, 'volumes', `${NAME}vol`, '_data');
    assert.equal((await stat(join(vol, 'by-root'))).uid, u.uid);
    const one = await stat(join(vol, 'by-one'));
    assert.equal(one.uid, u.subStart, 'container uid 1 is the first subordinate user ID');
    assert.equal(one.gid, u.subStart, 'container gid 1 is the first subordinate group ID');
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
    const none = await run('setpriv', [...u.env({}, false), BERTHD_BIN], { timeoutMs: 30_000 });
    assert.equal(none.code, 125);
    assert.match(none.stderr, /needs XDG_RUNTIME_DIR .* it is not set/);
    const foreign = await u.run(BERTHD_BIN, [], { XDG_RUNTIME_DIR: '/tmp' });
    assert.equal(foreign.code, 125);
    assert.match(foreign.stderr, /XDG_RUNTIME_DIR=\/tmp belongs to uid 0, not to you/);
  });

  test('SIGTERM to berthd stops it, the daemon in its user namespace and its containers', async () => {
    const c = await docker(['run', '-d', '--name', `${NAME}left`, 'busybox', 'sleep', '300']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(u.launcher?.pid);
    u.launcher.kill('SIGTERM');
    assert.deepEqual(await u.waitNoProcesses(20_000), [], 'containers end with the daemon: their namespaces do');
    assert.equal(await exists(SOCKET), false, 'the socket is removed');
    await u.launch();
    const ps = await docker(['ps', '-a', '--filter', `name=${NAME}left`, '--format', '{{.Status}}']);
    assert.match(ps.stdout, /^Exited/);
    assert.equal((await docker(['rm', `${NAME}left`])).code, 0);
  });

  test('kill -9 of berthd: the daemon goes with it and leaves no root-owned file in the data root', async () => {
    assert.ok(u.launcher?.pid);
    u.launcher.kill('SIGKILL');
    assert.deepEqual(await u.waitNoProcesses(20_000), [], 'the inner daemon stops when the berthd its user started dies');
    const rootOwned = await run('find', [DATA, '-uid', '0']);
    assert.equal(rootOwned.code, 0, rootOwned.stderr);
    assert.equal(rootOwned.stdout.trim(), '');
  });

  test('with /dev/net/tun closed to the user (0600, as some hosts leave it), berthd says why at start, and so do -p and the user\'s check', async () => {
    const mode = (await stat('/dev/net/tun')).mode & 0o7777;
    await chmod('/dev/net/tun', 0o600);
    try {
      await u.launch();
      assert.match(u.log, new RegExp(`/dev/net/tun is 0600, not open to ${NAME}: slirp4netns cannot give the rootless daemon its outbound network.*berth system setup-rootless --user ${NAME}`));
      const r = await docker(['run', '--rm', '-p', '127.0.0.1:18080:80', 'busybox', 'true']);
      assert.equal(r.code, 125, r.stdout);
      assert.match(r.stderr, /rootless berthd publishes ports through slirp4netns, which it could not start: \/dev\/net\/tun is 0600/);
      const check = await u.run(BERTH_BIN, ['system', 'setup-rootless']);
      assert.equal(check.code, 1, check.stdout);
      assert.match(check.stdout, new RegExp(`^MISSING /dev/net/tun is 0600 here, not open to ${NAME}: .*berth system setup-rootless --user ${NAME}`, 'm'));
    } finally {
      await chmod('/dev/net/tun', mode);
      u.launcher?.kill('SIGTERM');
      await u.waitNoProcesses(20_000);
    }
  });
});
