/**
 * Docker and podman beside Berth in one bench run, each with its own private state under the
 * bench's temp root, so a bench never reads or changes the host's own engines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxRootfsTar } from '../src/cli/bootstrap/busybox-rootfs.js';
import { run, type RunResult } from '../test/helpers/test-daemon.js';
import { unmountUnder } from '../test/helpers/mounts.js';
import { removeCgroupParent } from '../test/helpers/cgroups.js';

export interface Peer {
  name: string;
  cli: (args: string[]) => Promise<RunResult>;
  stop: () => Promise<void>;
  /** The daemon's process (dockerd), for CPU and memory measurements; absent for daemonless engines. */
  pid?: number;
  /** The environment its CLI runs with (DOCKER_HOST…), for long-running CLI processes. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A private dockerd when /usr/sbin/dockerd exists: no iptables and no bridge, or with `bridge`
 * (made by the caller) as its default bridge, published ports then going through docker-proxy.
 */
export async function startDockerd(root: string, opts: { bridge?: string; args?: string[] } = {}): Promise<Peer | undefined> {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  const dir = join(root, 'dockerd');
  await mkdir(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const child: ChildProcess = spawn('/usr/sbin/dockerd', [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${sock}`, '--pidfile', join(dir, 'docker.pid'),
    '--iptables=false', '--ip-forward=false', '--ip-masq=false', `--bridge=${opts.bridge ?? 'none'}`, ...(opts.args ?? []),
  ], { stdio: 'ignore' });
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'cli') };
  const cli = (args: string[]): Promise<RunResult> => run('/usr/local/bin/docker', args, { env, timeoutMs: 600_000 });
  for (let i = 0; i < 100; i++) {
    if ((await cli(['version'])).code === 0) {
      return {
        name: 'docker CLI → dockerd',
        cli,
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        env,
        stop: async () => {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGTERM');
          await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
          await unmountUnder(dir);
        },
      };
    }
    await sleep(200);
  }
  child.kill('SIGKILL');
  return undefined;
}

/**
 * The end of a private dockerd that may no longer answer (dockerd 20.10 stopped answering
 * during `rm -f` with a thousand containers): every process started with its root in its command line (dockerd, its
 * containerd, the shims) is killed, then every process in its containers' cgroups under
 * `cgroupParent` (the `--cgroup-parent` it was started with), and its mounts go.
 */
export async function reapDockerd(root: string, cgroupParent: string): Promise<void> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(root)) continue;
    try {
      process.kill(Number(name), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  await removeCgroupParent(cgroupParent);
  await unmountUnder(root);
}

/**
 * A bridge of the bench's own for a private dockerd: a /24 next to the test daemon's, in its
 * private 10.`octet`.0.0/16. dockerd's bridge runs and its BuildKit's RUN steps need one
 * ("network bridge not found" without). `remove` deletes it.
 */
export async function peerBridge(octet: number): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `btdk${randomBytes(3).toString('hex')}`;
  const remove = async (): Promise<void> => {
    await run('ip', ['link', 'del', name]);
  };
  for (const args of [['link', 'add', name, 'type', 'bridge'], ['addr', 'add', `10.${octet}.200.1/24`, 'dev', name], ['link', 'set', name, 'up']]) {
    const r = await run('ip', args);
    if (r.code !== 0) {
      await remove();
      throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
  }
  return { name, remove };
}

/** podman with --root/--runroot in the bench's directory. */
export async function podmanPeer(root: string): Promise<Peer | undefined> {
  if (!existsSync('/usr/bin/podman')) return undefined;
  const dir = join(root, 'podman');
  await mkdir(dir, { recursive: true });
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
  const cli = (args: string[]): Promise<RunResult> => run('/usr/bin/podman', [...base, ...args], { timeoutMs: 600_000 });
  return {
    name: 'podman',
    cli,
    stop: async () => {
      await cli(['system', 'reset', '--force']).catch(() => undefined);
      await unmountUnder(dir);
    },
  };
}

/** Berth's bootstrapped busybox, imported into a peer as `bench-busybox:latest` (no registry is reachable). */
export async function importBusybox(peer: Peer, dir: string): Promise<string> {
  const tarPath = join(dir, 'busybox-rootfs.tar');
  await pipeline(await busyboxRootfsTar(), createWriteStream(tarPath));
  const imp = await peer.cli(['import', '-c', 'CMD ["sh"]', tarPath, 'bench-busybox:latest']);
  if (imp.code !== 0) throw new Error(`${peer.name}: import failed: ${imp.stderr.trim()}`);
  return peer.name === 'podman' ? 'localhost/bench-busybox:latest' : 'bench-busybox:latest';
}
