import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { run, TestDaemon, type RunResult } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok, until } from '../../helpers/expect.js';
import { CRICTL, CriClient, crictl, requireCrictl } from '../../helpers/cri-client.js';
import { bridgeConflist, makeTestBridge, removeTestBridge, type CniTestBridge } from '../../helpers/cni-bridge.js';

/** The parts of crictl's JSON output (`-o json`, inspect*, info) these tests read. */
interface CrictlStatus {
  id: string;
  state: string;
  exitCode: number;
  reason: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  metadata: { name: string };
  labels: Record<string, string>;
  linux: { namespaces: { options: { network: string; ipc: string } } };
  network: { ip: string };
  repoTags: string[];
  repoDigests: string[];
  conditions: Array<{ type: string; status: boolean; reason: string }>;
}
interface CrictlJson {
  status: CrictlStatus;
  config: { cgroupDriver: string };
  items: unknown[];
  containers: unknown[];
  stats: unknown[];
}
const json = (r: RunResult): CrictlJson => JSON.parse(r.stdout) as CrictlJson;

describe('crictl drives berthd through the CRI v1 socket', { timeout: 600_000 }, () => {
  let d: TestDaemon;
  let reg: RegistryProcess;
  let cri: CriClient;
  let dir: string;
  let podSeq = 0;

  before(async () => {
    requireCrictl();
    d = await TestDaemon.startWithBusybox();
    reg = await RegistryProcess.start();
    cri = new CriClient(d.criSocket);
    dir = join(d.root, 'cri-test');
    await mkdir(dir, { recursive: true });
  });
  after(async () => {
    cri?.close();
    // Pause processes and pod containers outlive berthd, as containers do: remove them all first.
    if (d) {
      await crictl(d, ['rmp', '--all', '--force']).catch(() => undefined);
      await d.berth(['rm', '-f', 'docker-own']).catch(() => undefined);
    }
    await reg?.stop();
    if (process.env.HCRI_DAEMON_LOG && d) await writeFile(process.env.HCRI_DAEMON_LOG, d.logs);
    await d?.stop();
  });

  /** Writes a pod config (each with its own uid and log directory) and returns its path. */
  async function podConfig(name: string, extra: Record<string, unknown> = {}): Promise<{ path: string; logDir: string }> {
    podSeq++;
    const logDir = join(dir, `logs-${name}-${podSeq}`);
    const path = join(dir, `pod-${name}-${podSeq}.json`);
    const config = {
      metadata: { name, namespace: 'default', uid: `hcri-${name}-${podSeq}`, attempt: 0 },
      log_directory: logDir,
      linux: { cgroup_parent: `${d.cgroupParent}/pod-${podSeq}` },
      ...extra,
    };
    await writeFile(path, JSON.stringify(config));
    return { path, logDir };
  }

  /** Runs `fn` with a new pod, removed afterwards whatever happens (its pause process outlives berthd). */
  async function withPod(name: string, extra: Record<string, unknown>, fn: (pod: string, podPath: string, logDir: string) => Promise<void>): Promise<void> {
    const { path, logDir } = await podConfig(name, extra);
    const pod = ok(await crictl(d, ['runp', path]), 'runp').stdout.trim();
    try {
      await fn(pod, path, logDir);
    } finally {
      await crictl(d, ['rmp', '--force', pod]);
    }
  }

  async function containerConfig(name: string, command: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const path = join(dir, `ctr-${name}-${++podSeq}.json`);
    await writeFile(path, JSON.stringify({ metadata: { name }, image: { image: 'busybox' }, command, log_path: `${name}.log`, linux: {}, ...extra }));
    return path;
  }

  async function runContainer(pod: string, podPath: string, name: string, command: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const id = ok(await crictl(d, ['create', pod, await containerConfig(name, command, extra), podPath]), `create ${name}`).stdout.trim();
    ok(await crictl(d, ['start', id]), `start ${name}`);
    return id;
  }

  async function exited(id: string): Promise<CrictlStatus> {
    return await until(async () => {
      const s = json(ok(await crictl(d, ['inspect', id]), 'inspect')).status;
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, `container ${id} to exit`);
  }

  test('version and info: runtime berth on CRI v1, RuntimeReady, NetworkReady false without CNI', async () => {
    const v = ok(await crictl(d, ['version']), 'version').stdout;
    assert.match(v, /RuntimeName:\s+berth/);
    assert.match(v, /RuntimeApiVersion:\s+v1/);
    const info = json(ok(await crictl(d, ['info']), 'info'));
    const conditions = Object.fromEntries(info.status.conditions.map((c) => [c.type, c]));
    assert.equal(conditions.RuntimeReady?.status, true);
    assert.equal(conditions.NetworkReady?.status, false);
    assert.equal(conditions.NetworkReady?.reason, 'NetworkPluginNotReady');
    assert.equal(info.config.cgroupDriver, 'cgroupfs');
    const config = await cri.call('runtime', 'RuntimeConfig');
    assert.deepEqual(config.linux, { cgroup_driver: 'CGROUPFS' });
  });

  test('a method Berth does not implement answers UNIMPLEMENTED at once, unary or streaming; an unknown container NOT_FOUND', async () => {
    await assert.rejects(cri.call('runtime', 'CheckpointContainer', { container_id: 'x' }), (err: { code: number }) => err.code === 12);
    const outcome = await cri.streamOutcome();
    assert.equal(typeof outcome, 'object', String(outcome));
    assert.equal((outcome as { code: number }).code, 12);
    // A streaming URL for a container that is not there: NOT_FOUND, not a URL that fails later.
    await assert.rejects(cri.call('runtime', 'Exec', { container_id: 'nope', cmd: ['sh'], stdout: true }), (err: { code: number }) => err.code === 5);
  });

  test('images: the store the Docker API uses, both ways; pull by tag and by digest; rmi', async () => {
    const images = ok(await crictl(d, ['images']), 'images').stdout;
    assert.match(images, /docker\.io\/library\/busybox\s+latest/);
    const busyboxId = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
    assert.equal(json(ok(await crictl(d, ['inspecti', 'busybox']), 'inspecti')).status.id, busyboxId);

    const name = `${reg.host}/cri/box:v1`;
    ok(await d.berth(['tag', 'busybox', name]), 'tag');
    const push = ok(await d.berth(['push', name]), 'push');
    const digest = /v1: digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    ok(await d.berth(['rmi', name]), 'rmi');
    assert.match(ok(await crictl(d, ['pull', name]), 'crictl pull').stdout, new RegExp(`Image is up to date for ${busyboxId}`));
    // What crictl pulled, the Docker API lists.
    assert.match(ok(await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'images').stdout, new RegExp(`${reg.host}/cri/box:v1`));
    const status = json(ok(await crictl(d, ['inspecti', name]), 'inspecti')).status;
    assert.ok(status.repoTags.includes(name), JSON.stringify(status));
    assert.ok(status.repoDigests.includes(`${reg.host}/cri/box@${digest}`), JSON.stringify(status));
    // By digest.
    ok(await crictl(d, ['pull', `${reg.host}/cri/box@${digest}`]), 'pull by digest');
    assert.match(ok(await crictl(d, ['images', '--digests']), 'images').stdout, new RegExp(digest!.slice(7, 20)));
    // What the Docker API pulled, crictl sees.
    ok(await d.berth(['tag', 'busybox', `${reg.host}/cri/other:v2`]), 'tag');
    ok(await d.berth(['push', `${reg.host}/cri/other:v2`]), 'push');
    ok(await d.berth(['rmi', `${reg.host}/cri/other:v2`]), 'rmi');
    ok(await d.berth(['pull', `${reg.host}/cri/other:v2`]), 'docker-API pull');
    assert.match(ok(await crictl(d, ['images']), 'images').stdout, new RegExp(`${reg.host}/cri/other\\s+v2`));
    // crictl rmi removes the image with all its names, as containerd does: gone for the Docker API too.
    ok(await crictl(d, ['rmi', name]), 'crictl rmi');
    for (const n of [name, 'busybox', `${reg.host}/cri/other:v2`]) assert.notEqual((await d.berth(['image', 'inspect', n])).code, 0, `${n} is gone`);
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap again');
    // An image that is not there: an error for pull, nothing for ImageStatus.
    assert.notEqual((await crictl(d, ['pull', `${reg.host}/cri/none:v9`])).code, 0);
    assert.deepEqual((await cri.call('image', 'ImageStatus', { image: { image: 'no/such:image' } })).image, null);
    const fs = await cri.call('image', 'ImageFsInfo');
    assert.ok(Number((fs.image_filesystems as Array<{ used_bytes: { value: string } }>)[0]?.used_bytes.value) > 0);
  });

  test('a pod with two containers: shared namespaces, hostname, DNS, logs, exec, stats, docker ps, stop and remove', async () => {
    const { path: podPath, logDir } = await podConfig('web', {
      hostname: 'web-host',
      labels: { app: 'web' },
      dns_config: { servers: ['10.232.0.53'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
    });
    const pod = ok(await crictl(d, ['runp', podPath]), 'runp').stdout.trim();
    try {
      await podLife(pod, podPath, logDir);
    } finally {
      await crictl(d, ['rmp', '--force', pod]);
    }
  });

  async function podLife(pod: string, podPath: string, logDir: string): Promise<void> {
    const pods = json(ok(await crictl(d, ['pods', '-o', 'json', '--label', 'app=web']), 'pods')).items as Array<{ id: string; state: string }>;
    assert.deepEqual(pods.map((p) => [p.id, p.state]), [[pod, 'SANDBOX_READY']]);
    const inspectp = json(ok(await crictl(d, ['inspectp', pod]), 'inspectp'));
    assert.equal(inspectp.status.metadata.name, 'web');
    assert.equal(inspectp.status.linux.namespaces.options.network, 'POD');

    const one = await runContainer(pod, podPath, 'one', ['sh', '-c', 'echo hello; echo oops >&2; exec sleep 1000']);
    const two = await runContainer(pod, podPath, 'two', ['sleep', '1000']);
    const ps = json(ok(await crictl(d, ['ps', '-o', 'json', '--pod', pod]), 'ps')).containers as Array<{ id: string; state: string }>;
    assert.deepEqual(ps.map((c) => c.state).sort(), ['CONTAINER_RUNNING', 'CONTAINER_RUNNING']);

    const ns = async (id: string): Promise<string> => ok(await crictl(d, ['exec', '--sync', id, 'sh', '-c', 'for n in net ipc uts pid; do readlink /proc/self/ns/$n; done']), 'exec').stdout;
    const [nsOne, nsTwo] = [(await ns(one)).split('\n'), (await ns(two)).split('\n')];
    assert.deepEqual(nsOne.slice(0, 3), nsTwo.slice(0, 3), 'net, ipc and uts are the pod sandbox\'s');
    assert.notEqual(nsOne[3], nsTwo[3], 'each container has its own PID namespace unless the pod shares one');
    assert.equal(ok(await crictl(d, ['exec', '--sync', two, 'hostname']), 'hostname').stdout.trim(), 'web-host');
    const resolv = ok(await crictl(d, ['exec', '--sync', two, 'cat', '/etc/resolv.conf']), 'resolv.conf').stdout;
    assert.match(resolv, /nameserver 10\.232\.0\.53/);
    assert.match(resolv, /search svc\.cluster\.local/);
    assert.match(resolv, /options ndots:5/);
    const exec = await cri.call('runtime', 'ExecSync', { container_id: two, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'], timeout: 10 });
    assert.deepEqual([String(exec.stdout), String(exec.stderr), exec.exit_code], ['out\n', 'err\n', 7]);

    // The CRI log format at the kubelet's path, which crictl itself reads.
    const logText = await until(async () => {
      const t = await readFile(join(logDir, 'one.log'), 'utf8').catch(() => '');
      return t.includes('oops') ? t : undefined;
    }, 'the log');
    assert.match(logText, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello$/m);
    assert.match(logText, /^\S+ stderr F oops$/m);
    const logs = ok(await crictl(d, ['logs', one]), 'logs');
    assert.equal(logs.stdout, 'hello\n');
    assert.equal(logs.stderr, 'oops\n');

    const stats = json(ok(await crictl(d, ['stats', '-o', 'json', '--id', one]), 'stats')).stats as Array<{ attributes: { id: string }; memory: { workingSetBytes: { value: string } } }>;
    assert.equal(stats[0]?.attributes.id, one);
    assert.ok(Number(stats[0]?.memory.workingSetBytes.value) > 0, JSON.stringify(stats));
    const statsp = json(ok(await crictl(d, ['statsp', '-o', 'json', '--id', pod]), 'statsp')).stats as Array<{ attributes: { id: string }; linux: { containers: unknown[] } }>;
    assert.equal(statsp[0]?.attributes.id, pod);
    assert.equal(statsp[0]?.linux.containers.length, 2);

    // Exec, attach and port-forward through the streaming server (crictl speaks its protocols).
    const streamed = ok(await crictl(d, ['exec', two, 'sh', '-c', 'echo out; echo err >&2']), 'streaming exec');
    assert.deepEqual([streamed.stdout, streamed.stderr], ['out\n', 'err\n']);
    assert.equal(ok(await run(CRICTL, ['--config', '/dev/null', '--runtime-endpoint', `unix://${d.criSocket}`, 'exec', '-i', two, 'cat'], { input: 'typed\n' }), 'exec -i').stdout, 'typed\n');
    const web = await runContainer(pod, podPath, 'web', ['sh', '-c', 'mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 8080 -h /www']);
    const localPort = 20000 + (process.pid % 20000);
    const forward = spawn(CRICTL, ['--config', '/dev/null', '--runtime-endpoint', `unix://${d.criSocket}`, 'port-forward', pod, `${localPort}:8080`], { stdio: 'ignore' });
    try {
      const body = await until(async () => {
        const res = await fetch(`http://127.0.0.1:${localPort}/`).catch(() => undefined);
        return res?.ok ? await res.text() : undefined;
      }, 'the port-forwarded web server', 20_000);
      assert.equal(body, 'served\n');
    } finally {
      forward.kill('SIGTERM');
    }
    ok(await crictl(d, ['rm', '-f', web]), 'rm web');

    // Side by side with the Docker API: pod containers show there; docker's own do not show here.
    assert.match(ok(await d.berth(['ps', '--format', '{{.Names}}', '--filter', `label=io.berth.cri.sandbox-id=${pod}`]), 'ps').stdout, /k8s_one_web_default_hcri-web-\d+_0/);
    // crictl shows the kubelet's labels only.
    assert.deepEqual(json(ok(await crictl(d, ['inspect', one]), 'inspect')).status.labels, {});
    ok(await d.berth(['run', '-d', '--name', 'docker-own', 'busybox', 'sleep', '1000']), 'docker run');
    const all = json(ok(await crictl(d, ['ps', '-a', '-o', 'json']), 'ps -a')).containers as Array<{ id: string }>;
    const dockerOwn = ok(await d.berth(['inspect', '--format', '{{.Id}}', 'docker-own']), 'inspect').stdout.trim();
    assert.ok(!all.some((c) => c.id === dockerOwn), 'crictl does not list docker\'s containers');
    assert.notEqual((await crictl(d, ['inspect', dockerOwn])).code, 0);
    ok(await d.berth(['rm', '-f', 'docker-own']), 'rm');
    // The Docker API sees a pod's containers but cannot remove them (nor can prune).
    const dockerRm = await d.berth(['rm', '-f', one]);
    assert.notEqual(dockerRm.code, 0);
    assert.match(dockerRm.stderr, /belongs to Kubernetes pod sandbox .*crictl rm/);
    // Nor change them: they are read-only there (the kubelet's view and the container stay one).
    for (const args of [['stop', '-t', '1', one], ['kill', one], ['restart', one], ['pause', one], ['rename', one, 'x'], ['update', '--cpu-shares', '512', one]]) {
      const r = await d.berth(args);
      assert.notEqual(r.code, 0, `docker ${args[0]} of a pod container`);
      assert.match(r.stderr, /read-only through the Docker API: .* through the CRI/, `docker ${args[0]}`);
    }
    assert.equal(json(ok(await crictl(d, ['inspect', one]), 'inspect')).status.state, 'CONTAINER_RUNNING', 'untouched');
    // Reading works: logs, inspect, exec for debugging.
    ok(await d.berth(['exec', one, 'true']), 'docker exec into a pod container');

    ok(await crictl(d, ['stop', '--timeout', '1', one]), 'stop');
    const st = await exited(one);
    assert.equal(st.exitCode, 137);
    assert.equal(st.reason, 'Error');
    ok(await crictl(d, ['rm', one]), 'rm');
    ok(await crictl(d, ['stopp', pod]), 'stopp');
    assert.equal(json(ok(await crictl(d, ['inspectp', pod]), 'inspectp')).status.state, 'SANDBOX_NOTREADY');
    assert.equal(json(ok(await crictl(d, ['inspect', two]), 'inspect')).status.state, 'CONTAINER_EXITED');
    ok(await crictl(d, ['rmp', pod]), 'rmp');
    assert.deepEqual(json(ok(await crictl(d, ['pods', '-o', 'json']), 'pods')).items, []);
    assert.deepEqual(json(ok(await crictl(d, ['ps', '-a', '-o', 'json']), 'ps')).containers, []);
    assert.doesNotMatch(ok(await d.berth(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout, /k8s_/);
    // Stopping and removing what is gone is no error in the CRI.
    ok(await crictl(d, ['stopp', pod]), 'stopp again');
  }

  test('exit codes and reasons: Completed, Error, OOMKilled', async () => {
    await withPod('exits', {}, async (pod, podPath) => {
      const done = await runContainer(pod, podPath, 'done', ['true']);
      const failed = await runContainer(pod, podPath, 'failed', ['sh', '-c', 'exit 3']);
      const oom = await runContainer(pod, podPath, 'oom', ['sh', '-c', 'head -c 200m /dev/zero | tail'], { linux: { resources: { memory_limit_in_bytes: 16 * 1024 * 1024 } } });
      const s1 = await exited(done);
      assert.deepEqual([s1.exitCode, s1.reason], [0, 'Completed']);
      const s2 = await exited(failed);
      assert.deepEqual([s2.exitCode, s2.reason], [3, 'Error']);
      const s3 = await exited(oom);
      assert.equal(s3.reason, 'OOMKilled');
      assert.ok(Date.parse(s3.finishedAt) >= Date.parse(s3.startedAt) && Date.parse(s3.startedAt) > Date.parse(s3.createdAt) - 1000, JSON.stringify(s3));
    });
  });

  test('security context and resources: user, read-only rootfs, capabilities, seccomp, update', async () => {
    await withPod('secure', {}, async (pod, podPath) => {
      const locked = await runContainer(pod, podPath, 'locked', ['sleep', '1000'], {
        linux: {
          security_context: {
            run_as_user: { value: 1000 },
            run_as_group: { value: 1000 },
            readonly_rootfs: true,
            capabilities: { drop_capabilities: ['ALL'] },
            seccomp: { profile_type: 0 }, // RuntimeDefault (crictl reads enums as numbers)
            no_new_privs: true,
          },
          resources: { memory_limit_in_bytes: 64 * 1024 * 1024, cpu_shares: 512 },
        },
      });
      assert.equal(ok(await crictl(d, ['exec', '--sync', locked, 'id', '-u']), 'id').stdout.trim(), '1000');
      assert.notEqual((await crictl(d, ['exec', '--sync', locked, 'touch', '/x'])).code, 0, 'read-only rootfs');
      const status = ok(await crictl(d, ['exec', '--sync', locked, 'cat', '/proc/self/status']), 'status').stdout;
      assert.match(status, /^CapEff:\s+0000000000000000$/m);
      assert.match(status, /^Seccomp:\s+2$/m);
      assert.match(status, /^NoNewPrivs:\s+1$/m);
      const open = await runContainer(pod, podPath, 'open', ['sleep', '1000'], { linux: { security_context: { seccomp: { profile_type: 1 /* Unconfined */ } } } });
      assert.match(ok(await crictl(d, ['exec', '--sync', open, 'cat', '/proc/self/status']), 'status').stdout, /^Seccomp:\s+0$/m);

      const limit = async (): Promise<string> => ok(await crictl(d, ['exec', '--sync', locked, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']), 'limit').stdout.trim();
      // cgroup v1 without a cgroup namespace shows the host's tree: read the container's own file there.
      const cgroupFile = `/sys/fs/cgroup/memory${d.cgroupParent}/pod-${podSeq - 2}/${locked}/memory.limit_in_bytes`;
      const hostLimit = async (): Promise<string> => (await readFile(cgroupFile, 'utf8').catch(async () => await limit())).trim();
      assert.equal(await hostLimit(), String(64 * 1024 * 1024));
      ok(await crictl(d, ['update', '--memory', String(96 * 1024 * 1024), locked]), 'update');
      assert.equal(await hostLimit(), String(96 * 1024 * 1024));
    });
  });

  test('namespace options: a pod sharing its PID namespace, a pod in the host\'s IPC namespace', async () => {
    // crictl reads enums as numbers: POD = 0, CONTAINER = 1, NODE = 2.
    await withPod('shared-pid', { linux: { security_context: { namespace_options: { pid: 0 } } } }, async (pod, podPath) => {
      const a = await runContainer(pod, podPath, 'a', ['sleep', '1000']);
      const b = await runContainer(pod, podPath, 'b', ['sleep', '1001']);
      const pidNs = async (id: string): Promise<string> => ok(await crictl(d, ['exec', '--sync', id, 'readlink', '/proc/self/ns/pid']), 'exec').stdout.trim();
      assert.equal(await pidNs(a), await pidNs(b));
      // One PID namespace: each container sees the other's process.
      assert.match(ok(await crictl(d, ['exec', '--sync', a, 'ps']), 'ps').stdout, /sleep 1001/);
    });
    await withPod('host-ipc', { linux: { security_context: { namespace_options: { ipc: 2 } } } }, async (pod, podPath) => {
      const c = await runContainer(pod, podPath, 'c', ['sleep', '1000']);
      const hostIpc = await readlink('/proc/self/ns/ipc');
      assert.equal(ok(await crictl(d, ['exec', '--sync', c, 'readlink', '/proc/self/ns/ipc']), 'exec').stdout.trim(), hostIpc);
      assert.equal(json(ok(await crictl(d, ['inspectp', pod]), 'inspectp')).status.linux.namespaces.options.ipc, 'NODE');
    });
  });

  test('ExecSync past its timeout is DEADLINE_EXCEEDED; ReopenContainerLog starts a new file', async () => {
    await withPod('logs', {}, async (pod, podPath, logDir) => {
      const ticker = await runContainer(pod, podPath, 'ticker', ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
      const t0 = Date.now();
      await assert.rejects(cri.call('runtime', 'ExecSync', { container_id: ticker, cmd: ['sleep', '30'], timeout: 1 }), (err: { code: number }) => err.code === 4);
      assert.ok(Date.now() - t0 < 10_000);
      const log = join(logDir, 'ticker.log');
      await until(async () => ((await readFile(log, 'utf8').catch(() => '')).includes('tick 1') ? true : undefined), 'ticks');
      await rename(log, `${log}.1`);
      await cri.call('runtime', 'ReopenContainerLog', { container_id: ticker });
      const fresh = await until(async () => {
        const t = await readFile(log, 'utf8').catch(() => '');
        return t.includes('tick') ? t : undefined;
      }, 'ticks in the reopened log');
      assert.doesNotMatch(fresh, /tick 0\n/);
    });
  });

  test('a berthd restart keeps pods and re-adopts the running ones; new containers join them', async () => {
    let survivor = '';
    await withPod('survivor', {}, async (pod, podPath) => {
      survivor = pod;
      const first = await runContainer(pod, podPath, 'first', ['sleep', '1000']);
      const netBefore = ok(await crictl(d, ['exec', '--sync', first, 'readlink', '/proc/self/ns/net']), 'exec').stdout.trim();
      await d.halt();
      await d.launch();
      cri.close();
      cri = new CriClient(d.criSocket);
      assert.equal(json(ok(await crictl(d, ['inspectp', pod]), 'inspectp')).status.state, 'SANDBOX_READY');
      assert.equal(json(ok(await crictl(d, ['inspect', first]), 'inspect')).status.state, 'CONTAINER_RUNNING');
      const second = await runContainer(pod, podPath, 'second', ['sleep', '1000']);
      assert.equal(ok(await crictl(d, ['exec', '--sync', second, 'readlink', '/proc/self/ns/net']), 'exec').stdout.trim(), netBefore);
    });
    const left = json(ok(await crictl(d, ['pods', '-o', 'json']), 'pods')).items as Array<{ id: string }>;
    assert.ok(!left.some((p) => p.id === survivor), 'rmp --force removed the restored pod');
  });

  test('with a CNI config: pods get an address on eth0 from the plugins, reach each other, and give it back', async () => {
    const bridge: CniTestBridge = { bridge: `bthcri${randomBytes(3).toString('hex')}`, prefix: `10.232.${1 + (process.pid % 250)}`, name: 'hcri-test-net' };
    await makeTestBridge(bridge);
    const conf = join(d.cniConfDir, '10-hcri.conflist');
    try {
      await mkdir(d.cniConfDir, { recursive: true });
      // No portmap: nothing of the host's NAT is touched.
      await writeFile(conf, bridgeConflist(bridge, join(d.root, 'cni-ipam'), []));
      const info = json(ok(await crictl(d, ['info']), 'info'));
      assert.equal(info.status.conditions.find((c) => c.type === 'NetworkReady')?.status, true, JSON.stringify(info.status));
      await withPod('cni-a', {}, async (podA, podPathA) => {
        const ipA = json(ok(await crictl(d, ['inspectp', podA]), 'inspectp')).status.network.ip;
        assert.ok(ipA.startsWith(`${bridge.prefix}.`), ipA);
        const a = await runContainer(podA, podPathA, 'a', ['sleep', '1000']);
        assert.match(ok(await crictl(d, ['exec', '--sync', a, 'ip', '-4', 'addr', 'show', 'eth0']), 'ip addr').stdout, new RegExp(`inet ${ipA.replaceAll('.', '\\.')}/24`));
        await withPod('cni-b', {}, async (podB, podPathB) => {
          const b = await runContainer(podB, podPathB, 'b', ['sleep', '1000']);
          ok(await crictl(d, ['exec', '--sync', b, 'ping', '-c', '1', '-W', '3', ipA]), 'ping pod A from pod B');
        });
      });
      // host-local's leases went with the pods.
      const leases = (await readdir(join(d.root, 'cni-ipam', bridge.name)).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
      assert.deepEqual(leases, []);
    } finally {
      await rm(conf, { force: true });
      await removeTestBridge(bridge);
    }
  });
});
