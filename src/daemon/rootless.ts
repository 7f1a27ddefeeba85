import { spawn, type ChildProcess } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { access, mkdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { constants as osConstants, userInfo } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError, errnoCode } from '../core/errors.js';
import { findSubIdRange, SUBID_COUNT, type SubIdRange } from '../core/subordinate-ids.js';

/**
 * Rootless berthd (issue 23), as rootlesskit does it for dockerd: a berthd started by an
 * ordinary user re-runs itself as root of a user namespace that maps root to the user and 1..65536
 * to the user's subordinate IDs, with its own mount and network namespaces. Inside, the ordinary
 * root code paths work (chown of layers to mapped IDs, overlay mounts, bridges and nft in the
 * daemon's own netns) while the host sees only the user and its subordinate IDs; what the kernel
 * keeps from a user namespace (cgroups on v1, ports below ip_unprivileged_port_start) is said so.
 */

/** Set in the re-run daemon: JSON of RootlessInfo. Its presence is what makes berthd rootless inside. */
export const ROOTLESS_ENV = 'BERTH_ROOTLESS_CHILD';

/** Who runs the rootless daemon and where its files live, seen from outside the user namespace. */
export interface RootlessInfo {
  uid: number;
  gid: number;
  user: string;
  home: string;
  runtimeDir: string;
  subuid: SubIdRange;
  subgid: SubIdRange;
  /** slirp4netns's API socket (port forwards), when slirp4netns gives the daemon's netns its outbound link. */
  slirpApi?: string;
  /** Why slirp4netns does not, when it does not: what -p says. */
  noSlirp?: string;
  /** The host's net.ipv4.ip_unprivileged_port_start (the daemon's namespace has its own). */
  unprivilegedPortStart?: number;
}

/** The defaults a rootless berthd uses instead of /var/lib/berth, /run/berth and /etc/berth. */
export function rootlessDefaults(info: Pick<RootlessInfo, 'home' | 'runtimeDir'>): {
  host: string;
  dataRoot: string;
  execRoot: string;
  configFile: string;
  registryHostsDir: string;
  criSocket: string;
  cri: boolean;
} {
  const execRoot = join(info.runtimeDir, 'berth');
  return {
    host: `unix://${join(execRoot, 'berth.sock')}`,
    dataRoot: join(info.home, '.local/share/berth'),
    execRoot,
    configFile: join(info.home, '.config/berth/daemon.json'),
    registryHostsDir: join(info.home, '.config/berth/certs.d'),
    criSocket: join(execRoot, 'cri.sock'),
    // Kubernetes on a rootless Berth is not checked yet: its CRI waits for --cri.
    cri: false,
  };
}

/** The rootless daemon's identity when this process is the re-run one, else undefined. */
export function rootlessChildInfo(env: NodeJS.ProcessEnv = process.env, uidMap = readUidMap()): RootlessInfo | undefined {
  const raw = env[ROOTLESS_ENV];
  if (raw === undefined || raw === '') return undefined;
  // Only in a user namespace of our making: a root berthd that inherits the variable stays root.
  if (isInitialUserNamespace(uidMap)) return undefined;
  return JSON.parse(raw) as RootlessInfo;
}

/** The initial user namespace maps every ID to itself: `0 0 4294967295`. */
export function isInitialUserNamespace(uidMap: string): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(uidMap);
}

let uidMapCache: string | undefined;
function readUidMap(): string {
  uidMapCache ??= (() => {
    try {
      return readFileSync('/proc/self/uid_map', 'utf8');
    } catch {
      return '';
    }
  })();
  return uidMapCache;
}

/** XDG_RUNTIME_DIR must be set, exist, belong to the user and be private: the socket lives there. */
export async function checkRuntimeDir(dir: string | undefined, uid: number): Promise<string> {
  const fix = 'log in through a session that sets it (pam_systemd; `loginctl enable-linger USER` for services), or set XDG_RUNTIME_DIR to a directory you own with mode 700';
  if (dir === undefined || dir === '') throw new InvalidParameterError(`rootless berthd needs XDG_RUNTIME_DIR for its socket and runtime state, and it is not set: ${fix}`);
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw new InvalidParameterError(`XDG_RUNTIME_DIR=${dir} is not usable (${errnoCode(err) ?? (err as Error).message}): ${fix}`);
  }
  if (!st.isDirectory()) throw new InvalidParameterError(`XDG_RUNTIME_DIR=${dir} is not a directory: ${fix}`);
  if (st.uid !== uid) throw new InvalidParameterError(`XDG_RUNTIME_DIR=${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): ${fix}`);
  if ((st.mode & 0o022) !== 0) throw new InvalidParameterError(`XDG_RUNTIME_DIR=${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 700 ${dir}`);
  return dir;
}

/** Everything the re-run needs, checked now so that each missing piece is one clear line. */
export async function gatherRootlessInfo(env: NodeJS.ProcessEnv = process.env): Promise<RootlessInfo> {
  const me = userInfo();
  const runtimeDir = await checkRuntimeDir(env.XDG_RUNTIME_DIR, me.uid);
  const subuid = findSubIdRange(await readOrEmpty('/etc/subuid'), me.username, me.uid);
  const subgid = findSubIdRange(await readOrEmpty('/etc/subgid'), me.username, me.gid);
  const missing: string[] = [];
  if (!subuid) missing.push(`no range of ${SUBID_COUNT} subordinate user IDs for ${me.username} in /etc/subuid: run \`berth system setup-rootless --user ${me.username}\` as root`);
  if (!subgid) missing.push(`no range of ${SUBID_COUNT} subordinate group IDs for ${me.username} in /etc/subgid: run \`berth system setup-rootless --user ${me.username}\` as root`);
  if (missing.length > 0 || !subuid || !subgid) throw new InvalidParameterError(`rootless berthd cannot start:\n  ${missing.join('\n  ')}`);
  return { uid: me.uid, gid: me.gid, user: me.username, home: env.HOME && env.HOME !== '' ? env.HOME : me.homedir, runtimeDir, subuid, subgid };
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return '';
    throw err;
  }
}

/** unshare(1)'s arguments: root → the user, 1..65536 → the sub-IDs (newuidmap/newgidmap write them). */
export function unshareArgs(info: RootlessInfo): string[] {
  return [
    '--user', '--mount', '--net', '--propagation', 'private',
    '--map-root-user',
    `--map-users=${info.subuid.start},1,${SUBID_COUNT}`,
    `--map-groups=${info.subgid.start},1,${SUBID_COUNT}`,
  ];
}

/**
 * Runs berthd again inside its user namespace and lives as long as it does: signals are passed
 * on, its exit status becomes ours. A pipe on fd 3 tells the inner daemon when this process dies
 * (even by SIGKILL), so it never outlives the berthd its user started.
 */
export async function runRootless(argv: string[], log: (line: string) => void): Promise<number> {
  const info = await gatherRootlessInfo();
  const slirp = await usableSlirp();
  if (typeof slirp === 'string') info.slirpApi = join(info.runtimeDir, 'berth', 'slirp4netns.sock');
  else {
    info.noSlirp = slirp.why;
    log(`berthd: ${slirp.why}`);
  }
  info.unprivilegedPortStart = Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024')).trim());
  const child = spawn('unshare', [...unshareArgs(info), '--', process.execPath, ...process.execArgv, process.argv[1] as string, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [ROOTLESS_ENV]: JSON.stringify(info) },
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const link = typeof slirp === 'string' && info.slirpApi && child.pid !== undefined ? await startSlirp(slirp, child.pid, info.slirpApi, log) : undefined;
  child.on('exit', () => link?.kill('SIGTERM'));
  return await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      log(`berthd: cannot run unshare(1) for the rootless user namespace (${err.message}): install util-linux and uidmap`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 15) : 1)));
  });
}

/**
 * slirp4netns, when it can give the daemon's namespace its outbound link: installed, and the tun
 * device open to this user. udev makes /dev/net/tun 0666 on most hosts; containers and minimal
 * VMs may leave it 0600, and slirp4netns then fails after the daemon started, with containers
 * unreachable and every -p refused for an address the namespace never got. Said once, at start.
 */
async function usableSlirp(): Promise<string | { why: string }> {
  const slirp = await which('slirp4netns');
  if (!slirp) return { why: 'slirp4netns is not installed: the rootless daemon and its containers have no outbound network, and -p cannot publish (apt-get install slirp4netns, then restart berthd)' };
  if (!(await access('/dev/net/tun', constants.R_OK | constants.W_OK).then(() => true, () => false))) {
    const mode = await stat('/dev/net/tun').then((st) => `is ${(st.mode & 0o777).toString(8).padStart(4, '0')}`, () => 'does not exist');
    const user = userInfo().username;
    return { why: `/dev/net/tun ${mode}, not open to ${user}: slirp4netns cannot give the rootless daemon its outbound network, so containers have none and -p cannot publish; as root, run \`berth system setup-rootless --user ${user}\` (or chmod 0666 /dev/net/tun), then restart berthd` };
  }
  return slirp;
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    const p = join(dir, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/**
 * The daemon's network namespace gets its outbound link from slirp4netns (tap0, 10.0.2.100, DNS
 * at 10.0.2.3), as rootlesskit gives dockerd's: bridges, NAT and DNS then work inside as with root.
 * Its exit fd is our end of a socket pair, so it ends with this process, even when SIGKILLed.
 */
async function startSlirp(binary: string, pid: number, api: string, log: (line: string) => void): Promise<ChildProcess | undefined> {
  const mine = await readlink('/proc/self/ns/net');
  for (let i = 0; i < 500; i++) {
    const theirs = await readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
    if (theirs === undefined) return undefined;
    if (theirs !== mine) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await mkdir(join(api, '..'), { recursive: true, mode: 0o700 });
  await rm(api, { force: true });
  const link = spawn(binary, ['--configure', '--mtu=65520', '--disable-host-loopback', `--api-socket=${api}`, '--exit-fd=3', String(pid), 'tap0'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  link.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  link.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && code !== 0) log(`berthd: slirp4netns ended (${signal ?? code}): the rootless daemon has no outbound network now: ${err.trim()}`);
  });
  return link;
}

/**
 * In the inner daemon: the launcher's death closes fd 3; stop then, as on SIGTERM. A socket, not
 * a file stream: a file stream's blocking read in the thread pool would hold process.exit.
 */
export function watchLauncher(onGone: () => void): void {
  import('node:net').then(({ Socket }) => {
    const s = new Socket({ fd: 3, readable: true, writable: false });
    s.unref();
    s.on('data', () => undefined);
    s.on('close', onGone);
    s.on('error', onGone);
  }, onGone);
}

/**
 * In the inner daemon, before anything looks at cgroups: on a hybrid host crun refuses a cgroup2
 * mount that lists controllers, and the usual cure (unmounting it for `create`) is denied in a user
 * namespace, whose inherited mounts are locked. An empty tmpfs over it, in the daemon's own mount
 * namespace only, shows crun a plain v1 host, where a rootless crun leaves cgroups alone.
 */
export async function hideUnifiedCgroup(cgroupRoot = '/sys/fs/cgroup'): Promise<void> {
  const unified = join(cgroupRoot, 'unified');
  const controllers = await readFile(join(unified, 'cgroup.controllers'), 'utf8').catch(() => '');
  if (controllers.trim() === '') return;
  const { runCommand } = await import('../core/run-command.js');
  await runCommand('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k', 'berth-rootless', unified]);
}

/**
 * The inner daemon's own namespaces, before it starts: loopback up in its network namespace, and
 * when the host's resolver is on its loopback (systemd-resolved), which the namespace cannot
 * reach, slirp4netns's DNS forwarder in a resolv.conf of the daemon's mount namespace only.
 */
export async function prepareRootlessNamespaces(execRoot: string, info: RootlessInfo): Promise<void> {
  await hideUnifiedCgroup();
  const { runCommand } = await import('../core/run-command.js');
  await runCommand('ip', ['link', 'set', 'lo', 'up']);
  const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const servers = [...resolv.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
  if (info.slirpApi && servers.length > 0 && servers.every((s) => s.startsWith('127.') || s === '::1')) {
    const own = join(execRoot, 'resolv.conf');
    await mkdir(execRoot, { recursive: true, mode: 0o700 });
    const { atomicWriteFile } = await import('../core/atomic-write.js');
    await atomicWriteFile(own, `${resolv.split('\n').filter((l) => !/^\s*nameserver/.test(l)).join('\n')}\nnameserver 10.0.2.3\n`);
    await runCommand('mount', ['--bind', own, '/etc/resolv.conf']);
  }
}
