/**
 * cri-tools' conformance suite, critest, run unchanged against a CRI endpoint (issue 17).
 *
 * critest is built by scripts/install-test-clients.sh from the Go module proxy at CRITEST_VERSION
 * (a Go test binary: `go test -c ./cmd/critest`). Its test images live in the Kubernetes image
 * registries, which this machine cannot reach: stand-ins are built here from Berth's bootstrapped
 * busybox, each with what critest checks of the original (its files, USER, a web server on the
 * port it probes, a process named nginx), pushed to a Berth registry under the original's path,
 * and the engine is told that registry mirrors the Kubernetes ones (containerd's registry
 * mirrors; Berth's hosts.toml directory). critest's own `-registry-prefix` cannot serve: it drops
 * the tag of every fully qualified name it rewrites, and specs compare RepoTags with the original
 * names. The one image critest names by digest cannot be matched by any local build: that spec
 * is skipped, by name.
 *
 * Each engine runs in a network namespace of the run's own, with critest beside it: pods, CNI
 * bridges, host ports and iptables rules stay there and go with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, run, TestDaemon, type RunResult } from '../helpers/test-daemon.js';
import { unmountUnder } from '../helpers/mounts.js';
import { RegistryProcess } from '../helpers/registry-process.js';

export const CRITEST_VERSION = 'v1.37.0';
export const CRITEST_BIN = join(REPO_ROOT, '.cache/test-clients', `critest-${CRITEST_VERSION}`, 'critest');
export const CRICTL_BIN = join(REPO_ROOT, '.cache/test-clients', `crictl-${CRITEST_VERSION}`, 'crictl');

/** The registries critest pulls from, all mirrored by the stand-ins' registry. */
export const MIRRORED = ['registry.k8s.io', 'gcr.io', 'k8s.gcr.io'];

/** Specs no stand-in can serve, with why (they are skipped, not failed). */
export const SKIPPED_SPECS: Record<string, string> = {
  'public image with digest should be pulled and removed': 'critest pulls test-image-digest by the digest of the upstream image (sha256:9700f9a2…); no local build can have that digest',
};

interface StandIn {
  /** The path under the registry prefix, as critest's -registry-prefix rewrites it. */
  path: string;
  tags: string[];
  dockerfile: string;
  /** Files of the build context. */
  files?: Record<string, string>;
}

/**
 * A stand-in for nginx: busybox's httpd serving a page, under a process named nginx (a script's
 * process takes the script's name) that writes /var/run/nginx.pid — what critest's namespace
 * specs look for with `pidof nginx`.
 */
const NGINX_SCRIPT = `#!/bin/sh
echo $$ > /var/run/nginx.pid
httpd -f -p "\${PORT:-80}" -h /usr/share/nginx/html &
trap 'kill $! 2>/dev/null; exit 0' TERM INT
wait
`;
// The argument puts "master process" in PID 1's command line, where critest looks for nginx's.
const NGINX = (port: number): string => `FROM busybox
RUN mkdir -p /usr/share/nginx/html /var/run && echo '<h1>Welcome to nginx!</h1>' > /usr/share/nginx/html/index.html
COPY nginx /usr/sbin/nginx
ENV PORT=${port}
CMD ["/usr/sbin/nginx", "master process"]
`;
/** Debian's busybox-static, which Berth's busybox is made from, has no pgrep applet; critest runs `pgrep sleep`. */
const PGREP_SCRIPT = `#!/bin/sh
found=1
for d in /proc/[0-9]*; do
  if [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ]; then echo "\${d#/proc/}"; found=0; fi
done
exit $found
`;
/** `ipcs -m` (another applet Debian's busybox-static lacks): the shared memory segments of this IPC namespace. */
const IPCS_SCRIPT = `#!/bin/sh
echo '------ Shared Memory Segments --------'
echo 'key        shmid      owner      perms      bytes      nattch'
tail -n +2 /proc/sysvipc/shm | while read key shmid perms size cpid lpid nattch uid rest; do
  echo "$key $shmid $uid $perms $size $nattch"
done
`;
/** nonewprivs: a setuid-root program that says its effective uid, as the original does. */
const EUID_C = '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("Effective uid: %d\\n", geteuid()); return 0; }\n';
/** Apache's httpd says its name on stderr as it starts (critest looks for it in the log). */
const HTTPD = `FROM busybox
RUN mkdir -p /htdocs && echo '<html><body><h1>It works!</h1></body></html>' > /htdocs/index.html
CMD ["sh", "-c", "echo 'httpd: serving /htdocs on port 80' >&2; exec httpd -f -p 80 -h /htdocs"]
`;
/** busybox's own image has www-data (33); Berth's bootstrapped one has root and nobody only. */
const WWW_DATA = `RUN echo 'www-data:x:33:33:www-data:/var/www:/bin/false' >> /etc/passwd && echo 'www-data:x:33:' >> /etc/group`;
const withFile = (name: string): StandIn['dockerfile'] => `FROM busybox\nCOPY ${name} /${name}\n`;
const user = (u: string): string => `FROM busybox\n${WWW_DATA}\nUSER ${u}\n`;

const STAFF = 'k8s-staging-cri-tools';
export const STAND_INS: StandIn[] = [
  {
    path: 'e2e-test-images/busybox',
    tags: ['1.29-2'],
    // ls a hard link, as in busybox's image: critest masks /bin/ls, and a masked symlink would mask busybox itself.
    dockerfile: 'FROM busybox\nCOPY pgrep ipcs /bin/\nRUN rm /bin/ls && ln /bin/busybox /bin/ls\n',
    files: { pgrep: PGREP_SCRIPT, ipcs: IPCS_SCRIPT },
  },
  { path: 'e2e-test-images/nonewprivs', tags: ['1.3'], dockerfile: 'FROM busybox\nCOPY --chmod=4755 euid /usr/local/bin/euid\nCMD ["/usr/local/bin/euid"]\n', files: { 'euid.c': EUID_C } },
  { path: 'e2e-test-images/httpd', tags: ['2.4.39-4'], dockerfile: HTTPD },
  { path: 'e2e-test-images/nginx', tags: ['1.14-2'], dockerfile: NGINX(80), files: { nginx: NGINX_SCRIPT } },
  { path: `${STAFF}/hostnet-nginx-amd64`, tags: ['latest'], dockerfile: NGINX(12003), files: { nginx: NGINX_SCRIPT } },
  ...['test-image-1', 'test-image-2', 'test-image-3', 'test-image-latest', 'test-image-digest'].map((n) => ({ path: `${STAFF}/${n}`, tags: ['latest'], dockerfile: withFile(n), files: { [n]: '' } })),
  { path: `${STAFF}/test-image-tags`, tags: ['1', '2', '3'], dockerfile: withFile('same-image'), files: { 'same-image': '' } },
  { path: `${STAFF}/test-image-tag`, tags: ['test'], dockerfile: withFile('test'), files: { test: '' } },
  { path: `${STAFF}/test-image-tag`, tags: ['all'], dockerfile: withFile('all'), files: { all: '' } },
  { path: `${STAFF}/test-image-user-uid`, tags: ['latest'], dockerfile: user('1002') },
  { path: `${STAFF}/test-image-user-username`, tags: ['latest'], dockerfile: user('www-data') },
  { path: `${STAFF}/test-image-user-uid-group`, tags: ['latest'], dockerfile: user('1003:1004') },
  { path: `${STAFF}/test-image-user-username-group`, tags: ['latest'], dockerfile: user('www-data:1004') },
  {
    path: `${STAFF}/test-image-predefined-group`,
    tags: ['latest'],
    // default-user (1000) is also in group-defined-in-image (50000), as the original's adduser/addgroup make it.
    dockerfile: "FROM busybox\nRUN echo 'default-user:x:1000:1000::/home/default-user:/bin/sh' >> /etc/passwd && echo 'default-user:x:1000:' >> /etc/group && echo 'group-defined-in-image:x:50000:default-user' >> /etc/group\nUSER 1000\n",
  },
];

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

/**
 * Builds every stand-in with `d` (which has busybox) and pushes it to `registry` (host:port),
 * plus `pause:3.9`: Berth's static pause binary alone, the sandbox image a containerd needs.
 */
export async function pushStandIns(d: TestDaemon, registry: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-critest-images-'));
  try {
    const all: StandIn[] = [...STAND_INS, { path: 'pause', tags: ['3.9'], dockerfile: 'FROM scratch\nCOPY berth-pause /pause\nENTRYPOINT ["/pause"]\n' }];
    for (const [i, img] of all.entries()) {
      const ctx = join(dir, String(i));
      await mkdir(ctx);
      await writeFile(join(ctx, 'Dockerfile'), img.dockerfile);
      for (const [name, content] of Object.entries(img.files ?? {})) {
        await writeFile(join(ctx, name), content);
        if (name === 'nginx' || name === 'pgrep' || name === 'ipcs') await chmod(join(ctx, name), 0o755);
        // Compiled here, static, so it runs in busybox (gcc is on every machine of this kind).
        if (name.endsWith('.c')) must(await run('gcc', ['-static', '-O2', '-o', join(ctx, name.slice(0, -2)), join(ctx, name)]), `gcc ${name}`);
      }
      if (img.path === 'pause') await copyFile(join(REPO_ROOT, 'build/Release/berth-pause'), join(ctx, 'berth-pause'));
      const refs = img.tags.map((t) => `${registry}/${img.path}:${t}`);
      must(await d.docker(['build', '-q', ...refs.flatMap((r) => ['-t', r]), ctx]), `build ${refs[0]}`);
      for (const ref of refs) must(await d.docker(['push', ref]), `push ${ref}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export type SpecState = 'passed' | 'failed' | 'skipped' | 'pending' | 'panicked' | 'interrupted' | 'aborted' | 'timedout';

export interface SpecResult {
  state: SpecState;
  /** The failure's message, first lines. */
  message?: string;
  seconds: number;
}

interface GinkgoSpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: SpecState;
  RunTime: number;
  Failure?: { Message?: string };
}

/** A spec's name as the docs and lists use it: its containers and its text, joined by " / ". */
export function specName(s: Pick<GinkgoSpecReport, 'ContainerHierarchyTexts' | 'LeafNodeText'>): string {
  return [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(' / ');
}

/** ginkgo's JSON report → spec name → result. */
export function parseGinkgoReport(json: string): Map<string, SpecResult> {
  const suites = JSON.parse(json) as Array<{ SpecReports?: GinkgoSpecReport[] }>;
  const out = new Map<string, SpecResult>();
  for (const s of suites.flatMap((x) => x.SpecReports ?? [])) {
    if (s.LeafNodeType !== 'It') continue;
    const message = s.Failure?.Message?.split('\n').slice(0, 6).join('\n');
    out.set(specName(s), { state: s.State, seconds: Math.round(s.RunTime / 1e7) / 100, ...(message ? { message } : {}) });
  }
  return out;
}

export interface CritestRun {
  endpoint: string;
  /** The namespace the engine listens in (critest connects to pods and host ports there). */
  netns: string;
  focus?: string;
  timeoutMs?: number;
}

/** Runs critest; its JSON report is the result (the exit code only says whether some spec failed). */
export async function runCritest(o: CritestRun): Promise<{ results: Map<string, SpecResult>; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-critest-'));
  try {
    const report = join(dir, 'report.json');
    const skip = Object.keys(SKIPPED_SPECS).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const args = [
      `--net=${o.netns}`, CRITEST_BIN,
      `-runtime-endpoint=${o.endpoint}`, `-image-endpoint=${o.endpoint}`,
      `-ginkgo.json-report=${report}`, '-ginkgo.no-color', `-ginkgo.timeout=${Math.round((o.timeoutMs ?? 20 * 60_000) / 1000)}s`,
      ...(o.focus ? [`-ginkgo.focus=${o.focus}`] : []), `-ginkgo.skip=${skip}`,
    ];
    const r = await run('nsenter', args, { timeoutMs: (o.timeoutMs ?? 20 * 60_000) + 60_000 });
    if (!existsSync(report)) throw new Error(`critest wrote no report (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return { results: parseGinkgoReport(await readFile(report, 'utf8')), output: r.stdout + r.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A registry of the run's own with every stand-in in it, built by a throwaway berthd. Serve it in
 * an engine's namespace with serveIn().
 */
export async function standInRegistry(): Promise<RegistryProcess> {
  const registry = await RegistryProcess.start();
  try {
    const builder = await TestDaemon.startWithBusybox();
    try {
      await pushStandIns(builder, registry.host);
    } finally {
      await builder.stop();
    }
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return registry;
}

/** A new network namespace at `netns` with the registry serving in it (same port): one engine's lab. */
export async function serveIn(registry: RegistryProcess, netns: string): Promise<void> {
  await makeNetns(netns);
  await registry.halt();
  registry.netns = netns;
  await registry.launch();
}

/** A private network namespace (loopback up) bound at `path`. */
export async function makeNetns(path: string): Promise<void> {
  await writeFile(path, '');
  must(await run('unshare', [`--net=${path}`, 'true']), 'unshare --net');
  must(await run('nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']), 'lo up');
}

/** A CNI bridge network for a reference engine, on its own bridge and subnet, host-local leases under `dir`. */
export function cniConflist(name: string, bridge: string, subnet: string, dir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name,
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni-ipam') } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export interface Containerd {
  endpoint: string;
  netns: string;
  stop(): Promise<void>;
  /** Cgroups the engine made at the top of the host's hierarchies, which stop() removes. */
  cgroupRoots?: string[];
}

/**
 * Debian's containerd 1.6 with a private root, state, sockets and CNI config, in the network
 * namespace `netns` (the caller's): the reference engine of the critest comparison. `registry`
 * (host:port, reachable in that namespace) mirrors the Kubernetes registries.
 */
export async function startContainerd(registry: string, netns: string): Promise<Containerd> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-containerd-'));
  const sock = join(dir, 'containerd.sock');
  // containerd puts its pods' cgroups under k8s.io in every v1 hierarchy: removed at the end when
  // this run made it (a host's own containerd may have one).
  const ownCgroupRoots = await missingCgroups('k8s.io');
  let child: ChildProcess | undefined;
  let log = '';
  const stop = async (): Promise<void> => {
    // Pods critest left (it removes its own): gone through CRI, so their shims exit.
    if (existsSync(CRICTL_BIN) && existsSync(sock)) {
      await run(CRICTL_BIN, ['--runtime-endpoint', `unix://${sock}`, 'rmp', '-fa'], { timeoutMs: 60_000 }).catch(() => undefined);
    }
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child?.kill('SIGKILL'))]);
    }
    // A shim still running is ours only if it names this run's socket.
    for (const pid of await shimsOf(sock)) process.kill(pid, 'SIGKILL');
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    for (const path of ownCgroupRoots) await removeCgroupTree(path);
  };
  try {
    await mkdir(join(dir, 'net.d'), { recursive: true });
    await writeFile(join(dir, 'net.d', '10-critest.conflist'), cniConflist('critest', 'cni-critest', '10.89.0.0/16', dir));
    const config = `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  address = "${dir}/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Root here lacks CAP_SYS_RESOURCE: containerd may not lower a process's oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      # Debian's runc 1.1.5 cannot start containers on this kernel (\"can't get final child's PID
      # from pipe\"); crun, Berth's default runtime, through the same shim.
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/bin/crun"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/net.d"
${MIRRORED.map((r) => `  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."${r}"]\n    endpoint = ["http://${registry}"]\n`).join('')}`;
    await writeFile(join(dir, 'config.toml'), config);
    // On a hybrid cgroup host crun refuses a cgroup2 mount with controllers in it: containerd, its
    // shims and crun run in a mount namespace without it, as Berth runs crun (oci-runtime.ts). The
    // mounts containerd makes stay in that namespace and go with its last process. As Berth's
    // monitor does, a tmpfs of the namespace's own covers the mount point: crun makes a directory
    // there for each container, which on the host's /sys/fs/cgroup tmpfs would outlive the run.
    const unified = (await run('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET'])).stdout.trim().split('\n').filter(Boolean);
    const hide = unified.map((m) => `umount -l ${m} && mount -t tmpfs -o mode=755,size=1m berth-critest ${m}; `).join('');
    const script = `${hide}exec nsenter --net=${netns} /usr/bin/containerd --config ${join(dir, 'config.toml')}`;
    child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    if (!existsSync(sock)) throw new Error(`containerd did not start:\n${log.slice(-4000)}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `unix://${sock}`, netns, stop, cgroupRoots: ownCgroupRoots };
}

/**
 * A berthd of the test's own in the network namespace `netns`, serving the CRI on its socket, with
 * the same mirrors (its registry hosts directory) and a CNI bridge network like containerd's.
 */
export async function startBerth(registry: string, netns: string): Promise<Containerd> {
  const d = await TestDaemon.startInNetns(netns);
  const stop = async (): Promise<void> => {
    // Pause processes and pod containers outlive berthd: what critest left goes through the CRI first.
    if (existsSync(CRICTL_BIN)) await run(CRICTL_BIN, ['--runtime-endpoint', `unix://${d.criSocket}`, 'rmp', '-fa'], { timeoutMs: 60_000 }).catch(() => undefined);
    await d.stop();
  };
  try {
    for (const r of MIRRORED) {
      await mkdir(join(d.root, 'certs.d', r), { recursive: true });
      await writeFile(join(d.root, 'certs.d', r, 'hosts.toml'), `server = "https://${r}"\n[host."http://${registry}"]\n  capabilities = ["pull", "resolve"]\n`);
    }
    await mkdir(d.cniConfDir, { recursive: true });
    await writeFile(join(d.cniConfDir, '10-critest.conflist'), cniConflist('critest', 'cni-critest', '10.89.0.0/16', d.root));
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `unix://${d.criSocket}`, netns, stop };
}

/** `/sys/fs/cgroup/<controller>/<name>` of each v1 hierarchy where there is none yet. */
async function missingCgroups(name: string): Promise<string[]> {
  const missing: string[] = [];
  for (const c of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    if (c === 'unified' || !existsSync(join('/sys/fs/cgroup', c, 'cgroup.procs'))) continue;
    if (!existsSync(join('/sys/fs/cgroup', c, name))) missing.push(join('/sys/fs/cgroup', c, name));
  }
  return missing;
}

/** rmdir of a cgroup and the cgroups under it, deepest first (only empty ones go; none is forced). */
async function removeCgroupTree(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(path, e.name));
  await rmdir(path).catch(() => undefined);
}

/** containerd-shim processes started for the containerd at `sock` (their command line names it). */
async function shimsOf(sock: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('containerd-shim') && cmd.includes(sock)) pids.push(Number(entry));
  }
  return pids;
}
