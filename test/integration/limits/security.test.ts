/**
 * Docker's security defaults inside real containers, and what --privileged and the
 * --security-opt, --cap-add/--cap-drop, --device, --group-add and --sysctl options change. Nothing here writes to
 * host-wide kernel state: privileged checks read mount flags instead of writing /sys or /proc/sys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

/** docker's documented default capabilities (docs: "Runtime privilege and Linux capabilities"). */
const DOCKER_DEFAULT_CAPS = ['chown', 'dac_override', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'net_bind_service', 'net_raw', 'sys_chroot', 'mknod', 'audit_write', 'setfcap'];
/** Kernel capability numbers of those names. */
const CAP_BITS: Record<string, number> = { chown: 0, dac_override: 1, fowner: 3, fsetid: 4, kill: 5, setgid: 6, setuid: 7, setpcap: 8, net_bind_service: 10, net_raw: 13, sys_chroot: 18, mknod: 27, audit_write: 29, setfcap: 31 };

const statusField = (text: string, field: string): string => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '';

describe('security defaults', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  const run = async (flags: string[], script: string): Promise<string> => {
    const r = await d.berth(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]);
    assert.equal(r.code, 0, `run ${flags.join(' ')}: ${r.stderr}`);
    return r.stdout + r.stderr;
  };

  test('a default container has docker\'s capability set, seccomp filtering, and cannot mount, reboot, load modules or unshare', async () => {
    const out = await run([], [
      'cat /proc/self/status',
      'mkdir -p /tmp/m; mount -t tmpfs x /tmp/m 2>&1; echo "mount=$?"',
      'reboot -f 2>&1; echo "reboot=$?"',
      'busybox insmod /bin/busybox 2>&1; echo "insmod=$?"',
      'busybox unshare -m true 2>&1; echo "unshare=$?"',
      'busybox date -s 2000-01-01 2>&1 >/dev/null; echo "date"',
    ].join('; '));
    const expected = DOCKER_DEFAULT_CAPS.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c] ?? 0)), 0n);
    assert.equal(BigInt(`0x${statusField(out, 'CapEff')}`), expected, 'CapEff is docker\'s default set');
    assert.equal(statusField(out, 'CapBnd'), statusField(out, 'CapEff'));
    assert.equal(statusField(out, 'Seccomp'), '2', 'the seccomp filter is on');
    assert.match(out, /mount: permission denied/);
    assert.match(out, /mount=1/);
    assert.match(out, /reboot: .*Operation not permitted/);
    assert.match(out, /reboot=1/);
    assert.match(out, /insmod: can't insert '\/bin\/busybox': Operation not permitted/);
    assert.match(out, /unshare: unshare\(0x20000\): Operation not permitted/);
    assert.match(out, /date: can't set date: Operation not permitted/);
  });

  test("crun gets the default profile's filter compiled once: later bundles carry it, and it still blocks", async () => {
    // Whether user namespaces work here at all decides what "allowed" looks like without the filter.
    const unconfined = await run(['--security-opt', 'seccomp=unconfined', '--cap-drop', 'ALL'], 'unshare -U true 2>&1; echo "userns=$?"');
    for (let i = 0; i < 2; i++) await run([], 'true');
    const id = ok(await d.docker(['run', '-d', 'busybox', 'sleep', '30']), 'run').stdout.trim();
    try {
      const bundle = JSON.parse(await readFile(join(d.execRoot, 'containers', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string>; linux: { seccomp?: unknown } };
      assert.ok(bundle.linux.seccomp, 'the profile stays in the bundle');
      assert.match(bundle.annotations?.['run.oci.seccomp_bpf_data'] ?? '', /^[A-Za-z0-9+/]+=*$/, 'the compiled filter is handed to crun');
      const out = ok(await d.docker(['exec', id, 'sh', '-c', 'grep Seccomp: /proc/1/status; unshare -U true 2>&1; echo "userns=$?"']), 'exec').stdout;
      assert.equal(statusField(out, 'Seccomp'), '2');
      assert.match(out, /unshare: unshare\(0x10000000\): Operation not permitted[\s\S]*userns=1/, `filtered; without the filter: ${unconfined}`);
      const inspect = ok(await d.docker(['inspect', '-f', '{{json .HostConfig.Annotations}}', id]), 'inspect').stdout.trim();
      assert.doesNotMatch(inspect, /seccomp_bpf_data/, 'an internal annotation is not the user\'s');
    } finally {
      await d.docker(['rm', '-f', id]);
    }
  });

  test('the runtimes run from read-only mounts of their binaries, which no one can write through', async () => {
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    for (const name of ['crun', 'runc']) {
      const path = join(d.execRoot, 'runtime-bin', name);
      const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === path);
      assert.ok(line, `${path} is a mount point`);
      assert.match(line.split(' ')[5] ?? '', /^ro\b/, `${path} is mounted read-only`);
      await assert.rejects(writeFile(path, 'x', { flag: 'r+' }), { code: 'EROFS' });
    }
    assert.equal((await run([], 'echo from-crun')).trim(), 'from-crun');
    assert.equal((await run(['--runtime', 'runc'], 'echo from-runc')).trim(), 'from-runc');
  });

  test('/proc/sys and /sys are read-only and the masked /proc files read empty', async () => {
    const masked = ['/proc/keys', '/proc/timer_list', '/proc/kcore', '/proc/sched_debug', '/proc/latency_stats'].filter((p) => existsSync(p));
    const out = await run([], [
      'echo 1 > /proc/sys/vm/swappiness; echo "procsys=$?"',
      'echo x > /sys/kernel/uevent_helper; echo "sys=$?"',
      ...masked.map((p) => `echo "${p} $(cat ${p} | wc -c)"`),
      'ls /sys/firmware | wc -l',
    ].join('; '));
    assert.match(out, /can't create \/proc\/sys\/vm\/swappiness: Read-only file system/);
    assert.match(out, /procsys=1/);
    assert.match(out, /can't create \/sys\/kernel\/uevent_helper: Read-only file system/);
    assert.match(out, /\bsys=1/);
    assert.ok(masked.length > 0, 'the host has some of the masked files');
    for (const p of masked) assert.match(out, new RegExp(`${p} 0\\b`), `${p} is masked`);
  });

  test('--privileged gets every capability root has (not those it lacks), host devices, no seccomp, no masks, rw /sys', async () => {
    const host = await readFile('/proc/self/status', 'utf8');
    const hostDevice = ['/dev/loop-control', '/dev/kmsg', '/dev/cpu_dma_latency', '/dev/vda'].find((p) => existsSync(p));
    const out = await run(['--privileged'], [
      'cat /proc/self/status',
      'mkdir -p /tmp/m; mount -t tmpfs x /tmp/m && echo mounted',
      'grep -E " /sys (sysfs|proc) " /proc/mounts',
      'grep -q " /proc/sys " /proc/mounts || echo "no /proc/sys remount"',
      `test -e ${hostDevice ?? '/dev/null'} && echo "device present"`,
      'echo "keys $(cat /proc/keys | wc -c)"',
    ].join('; '));
    assert.equal(statusField(out, 'CapEff'), statusField(host, 'CapBnd'), 'CapEff is the host root\'s bounding set');
    assert.equal(statusField(out, 'Seccomp'), '0');
    assert.match(out, /mounted/);
    assert.match(out, /sysfs \/sys sysfs rw/);
    assert.match(out, /no \/proc\/sys remount/);
    assert.match(out, /device present/);
    assert.doesNotMatch(out, /keys 0\b/);
    // exec --privileged gets the same set (and keeps --group-add's groups).
    const cid = ok(await d.berth(['run', '-d', '--group-add', '4321', 'busybox', 'sleep', '30']), 'run').stdout.trim();
    try {
      const ex = ok(await d.docker(['exec', '--privileged', cid, 'sh', '-c', 'cat /proc/self/status; id -G']), 'exec --privileged').stdout;
      assert.equal(statusField(ex, 'CapEff'), statusField(host, 'CapBnd'));
      assert.match(ex, /\b4321\b/);
    } finally {
      await d.berth(['rm', '-f', cid]);
    }
    // --cap-add ALL is the same set; a capability root lacks can be dropped but not added.
    assert.equal(statusField(await run(['--cap-add', 'ALL'], 'cat /proc/self/status'), 'CapEff'), statusField(host, 'CapBnd'));
    const rootLacks = (BigInt(`0x${statusField(host, 'CapBnd')}`) & (1n << 24n)) === 0n;
    if (rootLacks) {
      await run(['--cap-drop', 'SYS_RESOURCE'], 'true');
      const r = await d.docker(['run', '--rm', '--cap-add', 'SYS_RESOURCE', 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"/);
    }
  });

  test('--cap-drop ALL, --cap-add, --read-only, no-new-privileges and seccomp=unconfined', async () => {
    assert.equal(statusField(await run(['--cap-drop', 'ALL'], 'cat /proc/self/status'), 'CapEff'), '0000000000000000');
    assert.match(await run(['--cap-add', 'SYS_ADMIN'], 'mkdir -p /tmp/m; mount -t tmpfs x /tmp/m && echo mounted'), /mounted/);
    assert.match(await run(['--read-only'], 'touch /x 2>&1; true'), /Read-only file system/);
    assert.equal(statusField(await run(['--security-opt', 'no-new-privileges'], 'cat /proc/self/status'), 'NoNewPrivs'), '1');
    assert.equal(statusField(await run(['--security-opt', 'seccomp=unconfined'], 'cat /proc/self/status'), 'Seccomp'), '0');
  });

  test('a seccomp profile from a file is applied; AppArmor and SELinux options are refused on a host without them', async () => {
    const profile = join(d.root, 'no-mkdir.json');
    await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    for (const cli of ['berth', 'docker'] as const) {
      const args = ['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'mkdir /tmp/x 2>&1; echo "mkdir=$?"'];
      const r = cli === 'berth' ? await d.berth(args) : await d.docker(args);
      assert.match(r.stdout, /Operation not permitted[\s\S]*mkdir=1/, `${cli}: ${r.stderr}`);
    }
    if (!existsSync('/sys/module/apparmor/parameters/enabled')) {
      const r = await d.docker(['run', '--rm', '--security-opt', 'apparmor=docker-default', 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /AppArmor is not enabled on this host/);
    }
    if (!existsSync('/sys/fs/selinux/enforce')) {
      const r = await d.docker(['run', '--rm', '--security-opt', 'label=type:container_t', 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /SELinux is not enabled on this host/);
    }
    ok(await d.docker(['run', '--rm', '--security-opt', 'label=disable', '--security-opt', 'apparmor=unconfined', 'busybox', 'true']), 'the "off" values are accepted everywhere');
  });

  test('--cgroupns private gives the container its own cgroup root', async () => {
    assert.match(await run(['--cgroupns', 'private'], 'cat /proc/self/cgroup'), /^\d+:[^:\n]*:\/$/m);
    const hostNs = await run(['--cgroupns', 'host'], 'cat /proc/self/cgroup');
    assert.match(hostNs, new RegExp(`:${d.cgroupParent}/[0-9a-f]{64}$`, 'm'));
  });

  test('--device, --group-add and namespaced --sysctl reach the container; host-wide sysctls are refused', async () => {
    const out = await run(['--device', '/dev/null:/dev/berth-null', '--group-add', '1234', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.msgmax=4096'], [
      'test -c /dev/berth-null && echo ok > /dev/berth-null && echo "device ok"',
      'echo "groups $(id -G)"',
      'echo "forward $(cat /proc/sys/net/ipv4/ip_forward) msgmax $(cat /proc/sys/kernel/msgmax)"',
    ].join('; '));
    assert.match(out, /device ok/);
    assert.match(out, /groups 0.* 1234/);
    assert.match(out, /forward 1 msgmax 4096/);
    const hostWide = await d.berth(['run', '--rm', '--sysctl', 'kernel.panic=1', 'busybox', 'true']);
    assert.equal(hostWide.code, 125);
    assert.match(hostWide.stderr, /sysctl "kernel.panic" is not in a separate kernel namespace/);
    const hostNet = await d.berth(['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true']);
    assert.equal(hostNet.code, 125);
    assert.match(hostNet.stderr, /sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace/);
  });
});
