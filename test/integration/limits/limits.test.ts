/**
 * Resource limits on this host's cgroups (v1 controllers here; the same assertions read the
 * v2 files on a unified host): OOM kill reporting, a fork bomb under --pids-limit, --cpus,
 * `update`, docker's errors for bad values and HostConfig as docker's inspect shows it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/** A control file of a container's cgroup, in whichever layout the host has. */
async function cgroupFile(d: TestDaemon, id: string, v1: [string, string], v2: string): Promise<string> {
  const path = V2 ? `/sys/fs/cgroup${d.cgroupParent}/${id}/${v2}` : `/sys/fs/cgroup/${v1[0]}${d.cgroupParent}/${id}/${v1[1]}`;
  return (await readFile(path, 'utf8')).trim();
}

interface Stats {
  cpu_stats: { cpu_usage: { total_usage: number } };
  memory_stats: { limit: number };
  pids_stats: { current: number; limit?: number };
}

describe('resource limits', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  const stats = (id: string): Promise<Stats> => d.client.json<Stats>({ method: 'GET', path: `/containers/${id}/stats`, query: { stream: '0', 'one-shot': '1' } });

  test('a memory hog under -m 32m is OOM-killed: exit 137, OOMKilled true, and berth run says why', async () => {
    const hog = 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived';
    const r = await d.berth(['run', '--name', 'hog', '-m', '32m', 'busybox', 'sh', '-c', hog]);
    try {
      assert.equal(r.code, 137, r.stderr);
      assert.doesNotMatch(r.stdout, /survived/);
      assert.match(r.stderr, /was killed by the kernel's OOM killer: it ran out of its memory limit \(-m 32MiB\)/);
      const state = JSON.parse(ok(await d.docker(['inspect', '--format', '{{json .State}}', 'hog']), 'inspect').stdout) as { OOMKilled: boolean; ExitCode: number; Error: string };
      assert.equal(state.OOMKilled, true);
      assert.equal(state.ExitCode, 137);
      assert.match(state.Error, /OOM killer.*32MiB/);
      // The same through the docker CLI, with --rm: the exit status is docker's.
      const viaDocker = await d.docker(['run', '--rm', '-m', '32m', 'busybox', 'sh', '-c', hog]);
      assert.equal(viaDocker.code, 137);
      // A container that stays within its limit is not marked.
      ok(await d.berth(['run', '--name', 'fits', '-m', '32m', 'busybox', 'sh', '-c', 'x=$(head -c 1000000 /dev/zero | tr "\\0" a)']), 'run within limit');
      assert.equal(ok(await d.docker(['inspect', '--format', '{{.State.OOMKilled}}', 'fits']), 'inspect').stdout.trim(), 'false');
    } finally {
      await d.berth(['rm', '-f', 'hog', 'fits']);
    }
  });

  test('an OOM kill while berthd is down is still reported when it comes back', async () => {
    const id = ok(await d.berth(['run', '-d', '-m', '32m', 'busybox', 'sh', '-c', 'sleep 1; x=$(head -c 200000000 /dev/zero | tr "\\0" a)']), 'run').stdout.trim();
    try {
      await d.halt();
      await sleep(4000);
      await d.launch();
      // On a slow host the hog may still be running at restart; then the watcher records it.
      const state = await until(async () => {
        const s = JSON.parse(ok(await d.docker(['inspect', '--format', '{{json .State}}', id]), 'inspect').stdout) as { OOMKilled: boolean; ExitCode: number; Running: boolean };
        return s.Running ? undefined : s;
      }, 'the hog to end', 20_000);
      assert.deepEqual({ OOMKilled: state.OOMKilled, ExitCode: state.ExitCode }, { OOMKilled: true, ExitCode: 137 });
    } finally {
      await d.berth(['rm', '-f', id]);
    }
  });

  test('a fork bomb under --pids-limit 64 never has more than 64 tasks, and the host stays usable', async () => {
    // The bomb runs beside PID 1, which execs sleep and so needs no fork: a shell that must fork
    // its sleep after the bomb filled the limit can exit, ending the container (a flake under load).
    const id = ok(await d.berth(['run', '-d', '--pids-limit', '64', 'busybox', 'sh', '-c', '(f(){ f & f & }; f) & exec sleep 60']), 'run').stdout.trim();
    let most = 0;
    try {
      assert.equal(await cgroupFile(d, id, ['pids', 'pids.max'], 'pids.max'), '64');
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        const s = await stats(id);
        most = Math.max(most, s.pids_stats.current);
        assert.equal(s.pids_stats.limit, 64);
        await sleep(100);
      }
      assert.ok(most <= 64, `at most 64 tasks (saw ${most})`);
      assert.ok(most >= 32, `the bomb did run into the limit (saw ${most})`);
    } finally {
      ok(await d.berth(['rm', '-f', id]), 'rm the bomb');
    }
    ok(await d.berth(['run', '--rm', 'busybox', 'true']), 'a container still runs after the bomb');
  });

  test('--cpus 0.5 holds a busy loop to about half a core (CPU time from the cgroup, quota in its file)', async () => {
    const id = ok(await d.berth(['run', '-d', '--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done']), 'run').stdout.trim();
    try {
      const quota = V2 ? await cgroupFile(d, id, ['cpu', ''], 'cpu.max') : await cgroupFile(d, id, ['cpu', 'cpu.cfs_quota_us'], '');
      assert.match(quota, /^50000( 100000)?$/);
      await sleep(300);
      const a = await stats(id);
      const t0 = process.hrtime.bigint();
      await sleep(3000);
      const b = await stats(id);
      const wallNs = Number(process.hrtime.bigint() - t0);
      const cores = (b.cpu_stats.cpu_usage.total_usage - a.cpu_stats.cpu_usage.total_usage) / wallNs;
      // The host is shared and busy: the loop may get less, never much more than its half core.
      assert.ok(cores <= 0.6, `a busy loop under --cpus 0.5 used ${cores.toFixed(2)} cores`);
      assert.ok(cores > 0.05, `the loop ran (${cores.toFixed(2)} cores)`);
    } finally {
      await d.berth(['rm', '-f', id]);
    }
  });

  test('update -m, --pids-limit and --cpus take effect on a running container', async () => {
    const id = ok(await d.berth(['run', '-d', '-m', '32m', 'busybox', 'sleep', '60']), 'run').stdout.trim();
    try {
      const memFile = (): Promise<string> => cgroupFile(d, id, ['memory', 'memory.limit_in_bytes'], 'memory.max');
      assert.equal(await memFile(), String(32 << 20));
      assert.equal(ok(await d.berth(['update', '-m', '48m', '--pids-limit', '20', '--cpus', '1.5', id]), 'berth update').stdout.trim(), id);
      assert.equal(await memFile(), String(48 << 20));
      assert.equal((await stats(id)).memory_stats.limit, 48 << 20);
      assert.equal(await cgroupFile(d, id, ['pids', 'pids.max'], 'pids.max'), '20');
      const hc = JSON.parse(ok(await d.docker(['inspect', '--format', '{{json .HostConfig}}', id]), 'inspect').stdout) as Record<string, unknown>;
      assert.equal(hc.Memory, 48 << 20);
      assert.equal(hc.PidsLimit, 20);
      assert.equal(hc.NanoCpus, 1.5e9);
      // The docker CLI's update goes through the same route; memory beyond the swap limit needs both.
      const refused = await d.docker(['update', '-m', '100m', id]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit/);
      ok(await d.docker(['update', '-m', '100m', '--memory-swap', '200m', id]), 'docker update');
      assert.equal(await memFile(), String(100 << 20));
      const bad = await d.berth(['update', '-m', '1k', id]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
      assert.equal(await memFile(), String(100 << 20), 'a refused update changes nothing');
      const none = await d.berth(['update', id]);
      assert.equal(none.code, 125);
      assert.match(none.stderr, /you must provide one or more flags when using this command/);
    } finally {
      await d.berth(['rm', '-f', id]);
    }
  });

  test('bad limits are refused with docker messages before anything is created', async () => {
    const badProfile = join(d.root, 'bad-seccomp.json');
    await writeFile(badProfile, '{"defaultAction":');
    const cases: Array<[string[], RegExp]> = [
      [['-m', '1k'], /Minimum memory limit allowed is 6MB/],
      [['--cpus', '-1'], /Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--cap-add', 'FOO'], /invalid CapAdd: unknown capability: "CAP_FOO"/],
      [['--cpuset-cpus', '99'], /Requested CPUs are not available - requested 99, available: /],
      [['--memory-swap', '10m'], /You should always set the Memory limit when using Memoryswap limit, see usage/],
      [['--cpus', '0.5', '--cpu-quota', '20000'], /Conflicting options: Nano CPUs and CPU Quota cannot both be set/],
      [['--security-opt', `seccomp=${badProfile}`], /compacting json for seccomp profile \(.*bad-seccomp.json\) failed/],
      [['--sysctl', 'kernel.shmmax=1', '--ipc', 'host'], /sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace/],
      [['--device-read-bps', '/dev/berth-no-such-disk:1mb'], /\/dev\/berth-no-such-disk is not a block device on this host/],
      [['--device', '/dev/berth-no-such-device'], /error gathering device information while adding custom device "\/dev\/berth-no-such-device": no such file or directory/],
    ];
    const before = ok(await d.docker(['ps', '-aq']), 'ps').stdout;
    for (const [flags, message] of cases) {
      for (const cli of ['berth', 'docker'] as const) {
        const r = await (cli === 'berth' ? d.berth(['run', '--rm', ...flags, 'busybox', 'true']) : d.docker(['run', '--rm', ...flags, 'busybox', 'true']));
        // docker's run exits 127 for any error mentioning "no such file or directory" (the device case).
        assert.ok(r.code === 125 || r.code === 127, `${cli} ${flags.join(' ')} (${r.code}): ${r.stderr}`);
        assert.match(r.stderr, message, `${cli} ${flags.join(' ')}`);
      }
    }
    // A client sending the profile itself gets the daemon's check.
    const raw = await d.client.json({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['seccomp={"defaultAction":'] } } }).then(
      () => undefined,
      (e: Error & { status?: number }) => e,
    );
    assert.equal(raw?.status, 400);
    assert.match(raw?.message ?? '', /Decoding seccomp profile failed/);
    assert.equal(ok(await d.docker(['ps', '-aq']), 'ps').stdout, before, 'no container was created');
  });

  test('every limit flag reaches the cgroup files', { skip: V2 ? 'the v1 file names; the v2 writer is unit-tested' : false }, async () => {
    const disk = ['/dev/vda', '/dev/sda', '/dev/nvme0n1', '/dev/xvda'].find((p) => existsSync(p));
    const id = ok(await d.berth(['run', '-d', '-m', '32m', '--memory-swap', '48m', '--oom-kill-disable', '--memory-reservation', '16m', '--memory-swappiness', '10',
      '--cpu-period', '50000', '--cpu-quota', '25000', '--cpuset-cpus', '0', '--cpu-shares', '512',
      ...(disk ? ['--device-read-bps', `${disk}:1mb`, '--device-write-iops', `${disk}:100`] : []), 'busybox', 'sleep', '60']), 'run').stdout.trim();
    try {
      const f = (controller: string, file: string): Promise<string> => cgroupFile(d, id, [controller, file], '');
      assert.equal(await f('memory', 'memory.limit_in_bytes'), String(32 << 20));
      assert.equal(await f('memory', 'memory.memsw.limit_in_bytes'), String(48 << 20));
      assert.match(await f('memory', 'memory.oom_control'), /oom_kill_disable 1/);
      assert.equal(await f('memory', 'memory.soft_limit_in_bytes'), String(16 << 20));
      assert.equal(await f('memory', 'memory.swappiness'), '10');
      assert.equal(await f('cpu', 'cpu.cfs_period_us'), '50000');
      assert.equal(await f('cpu', 'cpu.cfs_quota_us'), '25000');
      assert.equal(await f('cpu', 'cpu.shares'), '512');
      assert.equal(await f('cpuset', 'cpuset.cpus'), '0');
      if (disk) {
        assert.match(await f('blkio', 'blkio.throttle.read_bps_device'), /^\d+:\d+ 1048576$/);
        assert.match(await f('blkio', 'blkio.throttle.write_iops_device'), /^\d+:\d+ 100$/);
      }
    } finally {
      await d.berth(['rm', '-f', id]);
    }
  });

  test('--ulimit and --shm-size reach the container', async () => {
    const out = ok(await d.berth(['run', '--rm', '--ulimit', 'nofile=100:200', '--shm-size', '10m', 'busybox', 'sh', '-c', 'echo "soft $(ulimit -n) hard $(ulimit -Hn)"; df -k /dev/shm | tail -1']), 'run').stdout;
    assert.match(out, /soft 100 hard 200/);
    assert.match(out, /^shm\s+10240\s/m);
  });

  test('info reports what the host\'s cgroups can limit, with docker\'s warning for each gap', async () => {
    const info = await d.client.json<{ SwapLimit: boolean; PidsLimit: boolean; OomKillDisable: boolean; Warnings: string[] }>({ method: 'GET', path: '/info' });
    assert.equal(info.SwapLimit, V2 || existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'));
    assert.equal(info.OomKillDisable, !V2);
    assert.equal(info.PidsLimit, true);
    if (!V2) {
      const weight = existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
      assert.equal(info.Warnings.includes('WARNING: No blkio weight support'), !weight);
    }
  });

  test('inspect shows the limits in HostConfig as docker does', async () => {
    const id = ok(await d.docker(['create', '-m', '32m', '--memory-reservation', '16m', '--cpus', '0.5', '--cpuset-cpus', '0', '--cpu-shares', '512',
      '--pids-limit', '64', '--ulimit', 'nofile=1024:2048', '--shm-size', '128m', '--oom-kill-disable', 'busybox', 'true']), 'create').stdout.trim();
    const plain = (await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['true'] } })).Id;
    try {
      const hc = JSON.parse(ok(await d.docker(['inspect', '--format', '{{json .HostConfig}}', id]), 'inspect').stdout) as Record<string, unknown>;
      assert.deepEqual(
        { Memory: hc.Memory, MemorySwap: hc.MemorySwap, MemoryReservation: hc.MemoryReservation, NanoCpus: hc.NanoCpus, CpusetCpus: hc.CpusetCpus, CpuShares: hc.CpuShares, PidsLimit: hc.PidsLimit, ShmSize: hc.ShmSize, OomKillDisable: hc.OomKillDisable, MemorySwappiness: hc.MemorySwappiness, Ulimits: hc.Ulimits, CpuQuota: hc.CpuQuota },
        { Memory: 33554432, MemorySwap: 67108864, MemoryReservation: 16777216, NanoCpus: 500000000, CpusetCpus: '0', CpuShares: 512, PidsLimit: 64, ShmSize: 134217728, OomKillDisable: !V2, MemorySwappiness: null, Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }], CpuQuota: 0 },
      );
      assert.equal('KernelMemory' in hc, false, 'API 1.42+ omits KernelMemory');
      const km = ok(await d.berth(['run', '--rm', '--kernel-memory', '10m', 'busybox', 'true']), 'run --kernel-memory');
      assert.match(km.stderr, /WARNING: Kernel memory limits are not supported .*Limitation discarded/);
      const bare = (await d.client.json<{ HostConfig: Record<string, unknown> }>({ method: 'GET', path: `/containers/${plain}/json` })).HostConfig;
      for (const [key, value] of Object.entries({ Memory: 0, MemorySwap: 0, CpuPeriod: 0, CpusetCpus: '', BlkioWeight: 0, BlkioDeviceReadBps: null, Devices: null, OomKillDisable: false, PidsLimit: null, MemorySwappiness: null, ShmSize: 67108864, CgroupnsMode: V2 ? 'private' : 'host', CgroupParent: '' })) {
        assert.deepEqual(bare[key], value, `HostConfig.${key} of a container created with none`);
      }
      assert.ok(Array.isArray(bare.MaskedPaths) && (bare.MaskedPaths as string[]).includes('/proc/kcore'));
    } finally {
      await d.berth(['rm', '-f', id, plain]);
    }
  });
});
