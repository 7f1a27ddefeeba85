import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRuntimeSpec } from './build-spec.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  defaultDeviceCgroupRules,
  defaultMounts,
  defaultRuntimeSpec,
} from './default-spec.js';

// Expected values are written out from moby daemon/pkg/oci/defaults.go and caps/defaults.go.
describe('docker defaults', () => {
  it('has docker’s 14 default capabilities in docker’s order', () => {
    assert.deepEqual(DEFAULT_CAPABILITIES, [
      'CAP_CHOWN',
      'CAP_DAC_OVERRIDE',
      'CAP_FSETID',
      'CAP_FOWNER',
      'CAP_MKNOD',
      'CAP_NET_RAW',
      'CAP_SETGID',
      'CAP_SETUID',
      'CAP_SETFCAP',
      'CAP_SETPCAP',
      'CAP_NET_BIND_SERVICE',
      'CAP_SYS_CHROOT',
      'CAP_KILL',
      'CAP_AUDIT_WRITE',
    ]);
  });

  it('masks the same paths as docker', () => {
    assert.deepEqual(
      [...DEFAULT_MASKED_PATHS].sort(),
      [
        '/proc/acpi',
        '/proc/asound',
        '/proc/interrupts',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/sys/devices/virtual/powercap',
        '/sys/firmware',
      ].sort(),
    );
    assert.deepEqual(DEFAULT_READONLY_PATHS, [
      '/proc/bus',
      '/proc/fs',
      '/proc/irq',
      '/proc/sys',
      '/proc/sysrq-trigger',
    ]);
  });

  it('mounts proc, dev, devpts, sysfs, cgroup, mqueue and shm with docker’s options', () => {
    const byDest = new Map(defaultMounts().map((m) => [m.destination, m]));
    const order = ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'];
    assert.deepEqual([...byDest.keys()], order);
    assert.deepEqual(byDest.get('/dev')?.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
    assert.deepEqual(byDest.get('/dev/pts')?.options, [
      'nosuid',
      'noexec',
      'newinstance',
      'ptmxmode=0666',
      'mode=0620',
      'gid=5',
    ]);
    assert.equal(byDest.get('/sys')?.type, 'sysfs');
    assert.ok(byDest.get('/sys')?.options?.includes('ro'));
    assert.ok(byDest.get('/sys/fs/cgroup')?.options?.includes('ro'));
    assert.equal(byDest.get('/dev/shm')?.source, 'shm');
  });

  it('denies all devices, then allows the standard nodes and denies fuse', () => {
    const rules = defaultDeviceCgroupRules();
    assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
    const allowed = rules.filter((r) => r.allow).map((r) => `${r.type} ${r.major}:${r.minor}`);
    assert.deepEqual(allowed, ['c 1:5', 'c 1:3', 'c 1:9', 'c 1:8', 'c 5:0', 'c 5:1']);
    assert.deepEqual(rules.at(-1), { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' });
  });

  it('hands out fresh copies, so one container cannot edit another’s defaults', () => {
    const a = defaultRuntimeSpec();
    a.mounts[0]?.options?.push('ro');
    a.process.capabilities?.bounding?.pop();
    const b = defaultRuntimeSpec();
    assert.deepEqual(b.mounts[0]?.options, ['nosuid', 'noexec', 'nodev']);
    assert.equal(b.process.capabilities?.bounding?.length, 14);
  });

  it('builds a plain container with docker’s defaults and no rlimits, apparmor or no-new-privileges', () => {
    const spec = buildRuntimeSpec({ rootfsPath: '/rootfs', args: ['sh'], user: { uid: 0, gid: 0 } });
    assert.deepEqual(spec.process.capabilities?.bounding, DEFAULT_CAPABILITIES);
    assert.deepEqual(spec.process.capabilities?.effective, DEFAULT_CAPABILITIES);
    assert.deepEqual(spec.process.capabilities?.permitted, DEFAULT_CAPABILITIES);
    assert.equal(spec.process.capabilities?.inheritable, undefined);
    assert.equal(spec.process.rlimits, undefined);
    assert.equal(spec.process.apparmorProfile, undefined);
    assert.equal(spec.process.noNewPrivileges, undefined);
    assert.equal(spec.process.oomScoreAdj, 0);
    assert.equal(spec.process.terminal, undefined);
    assert.equal(spec.process.cwd, '/');
    assert.deepEqual(spec.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
    assert.deepEqual(spec.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
    assert.deepEqual(spec.linux.resources?.devices, defaultDeviceCgroupRules());
    assert.equal(spec.linux.devices, undefined);
    assert.deepEqual(
      spec.mounts.find((m) => m.destination === '/dev/shm')?.options,
      ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'],
    );
  });
});
