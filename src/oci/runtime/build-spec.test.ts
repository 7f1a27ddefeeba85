import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../core/errors.js';
import { buildRuntimeSpec, type ContainerSpecInput } from './build-spec.js';
import { KNOWN_CAPABILITIES } from './capabilities.js';
import { replaceOrAppendEnv } from './container-env.js';
import type { Mount, RuntimeSpec } from './runtime-spec-types.js';
import type { DockerSeccompProfile } from './seccomp-profile.js';

const base: ContainerSpecInput = {
  rootfsPath: '/var/lib/berth/containers/c1/rootfs',
  args: ['/bin/sh', '-c', 'echo hi'],
  env: ['FOO=bar'],
  user: { uid: 0, gid: 0 },
  hostname: 'c1',
  arch: 'amd64',
};
const build = (over: Partial<ContainerSpecInput> = {}): RuntimeSpec => buildRuntimeSpec({ ...base, ...over });
const mount = (spec: RuntimeSpec, dest: string): Mount | undefined => spec.mounts.find((m) => m.destination === dest);
const nsTypes = (spec: RuntimeSpec) => spec.linux.namespaces.map((n) => n.type);
const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidParameterError && message.test(err.message));

describe('buildRuntimeSpec: process', () => {
  it('adds PATH and HOSTNAME before the container env, and TERM=xterm with a tty', () => {
    assert.deepEqual(build().process.env, [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=c1',
      'FOO=bar',
    ]);
    const tty = build({ tty: true, consoleSize: { height: 24, width: 80 } }).process;
    assert.deepEqual(tty.env.slice(2, 3), ['TERM=xterm']);
    assert.equal(tty.terminal, true);
    assert.deepEqual(tty.consoleSize, { height: 24, width: 80 });
  });

  it('lets the image or user replace PATH in place and unset a variable with a bare name', () => {
    assert.deepEqual(build({ env: ['PATH=/opt/bin', 'A=1'] }).process.env, ['PATH=/opt/bin', 'HOSTNAME=c1', 'A=1']);
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A', 'C=3', 'C=4']), ['B=2', 'C=4']);
  });

  it('passes user, cwd, no-new-privileges and oom score through', () => {
    const p = build({
      user: { uid: 1000, gid: 1000, additionalGids: [1000, 27] },
      cwd: '/app',
      noNewPrivileges: true,
      oomScoreAdj: 500,
    }).process;
    assert.deepEqual(p.user, { uid: 1000, gid: 1000, additionalGids: [1000, 27] });
    assert.equal(p.cwd, '/app');
    assert.equal(p.noNewPrivileges, true);
    assert.equal(p.oomScoreAdj, 500);
  });

  it('runs docker-init first with --init and a private pid namespace, bind-mounted read-only', () => {
    const spec = build({ init: '/usr/libexec/berth/docker-init' });
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', '/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(mount(spec, '/sbin/docker-init'), {
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/libexec/berth/docker-init',
      options: ['bind', 'ro'],
    });
    const hostPid = build({ init: '/x/docker-init', namespaces: { pid: 'host' } });
    assert.deepEqual(hostPid.process.args, base.args);
    assert.equal(mount(hostPid, '/sbin/docker-init'), undefined);
  });

  it('refuses an empty command and unknown capabilities', () => {
    invalid(() => build({ args: [] }), /^No command specified$/);
    invalid(() => build({ capAdd: ['CAP_FOO'] }), /^unknown capability: "CAP_FOO"$/);
  });
});

describe('buildRuntimeSpec: namespaces', () => {
  it('creates mount, network, uts, pid, ipc and cgroup namespaces by default', () => {
    assert.deepEqual(nsTypes(build()), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
  });

  it('leaves host namespaces out of the list and drops the hostname with the host uts', () => {
    const spec = build({ namespaces: { net: 'host', pid: 'host', ipc: 'host', uts: 'host', cgroup: 'host' } });
    assert.deepEqual(nsTypes(spec), ['mount']);
    assert.equal(spec.hostname, undefined);
    assert.equal(spec.linux.sysctl, undefined, 'no net sysctls in the host network namespace');
    assert.deepEqual(mount(spec, '/dev/shm'), {
      destination: '/dev/shm',
      type: 'bind',
      source: '/dev/shm',
      options: ['rbind', 'rprivate'],
    });
  });

  it('joins a namespace by path', () => {
    const spec = build({ namespaces: { net: { path: '/proc/42/ns/net' } } });
    assert.deepEqual(spec.linux.namespaces[1], { type: 'network', path: '/proc/42/ns/net' });
    assert.equal(spec.linux.sysctl, undefined, 'docker sets no net sysctls when joining a network namespace');
    invalid(() => build({ namespaces: { pid: { path: 'proc/1/ns/pid' } } }), /not absolute/);
  });

  it('adds a user namespace with its id mappings, and needs the mappings', () => {
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const spec = build({ namespaces: { user: 'private' }, uidMappings: map, gidMappings: map });
    assert.deepEqual(nsTypes(spec), ['mount', 'network', 'uts', 'pid', 'ipc', 'user', 'cgroup']);
    assert.deepEqual(spec.linux.uidMappings, map);
    assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ip_unprivileged_port_start': '0' });
    assert.ok(!mount(spec, '/sys/fs/cgroup')?.options?.includes('ro'));
    invalid(() => build({ namespaces: { user: 'private' } }), /uid and gid mappings/);
  });

  it('drops /dev/shm with --ipc none', () => {
    const spec = build({ namespaces: { ipc: 'none' } });
    assert.equal(mount(spec, '/dev/shm'), undefined);
    assert.ok(nsTypes(spec).includes('ipc'));
  });
});

describe('buildRuntimeSpec: security', () => {
  it('privileged: all capabilities, no seccomp, no masked or read-only paths, writable /sys and cgroup', () => {
    const spec = build({ privileged: true, capDrop: ['ALL'] });
    assert.deepEqual(spec.process.capabilities?.bounding, [...KNOWN_CAPABILITIES]);
    assert.equal(spec.linux.seccomp, undefined);
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.equal(spec.linux.readonlyPaths, undefined);
    assert.deepEqual(mount(spec, '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(mount(spec, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(spec.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  });

  it('judges the seccomp profile against the tweaked capabilities', () => {
    const plain = build().linux.seccomp?.syscalls ?? [];
    assert.ok(!plain.some((r) => r.names.includes('kcmp')));
    const withPtrace = build({ capAdd: ['SYS_PTRACE'] }).linux.seccomp?.syscalls ?? [];
    assert.ok(withPtrace.some((r) => r.names.includes('kcmp') && r.action === 'SCMP_ACT_ALLOW'));
  });

  it('writes no seccomp section when unconfined, and a custom profile when given', () => {
    assert.equal(build({ seccomp: 'unconfined' }).linux.seccomp, undefined);
    const profile = (): DockerSeccompProfile => ({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }],
    });
    assert.deepEqual(build({ seccomp: profile() }).linux.seccomp, profile());
  });

  it('replaces masked and read-only paths when given (systempaths=unconfined sends empty lists)', () => {
    const spec = build({ maskedPaths: [], readonlyPaths: ['/proc/sys'] });
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.deepEqual(spec.linux.readonlyPaths, ['/proc/sys']);
  });
});

describe('buildRuntimeSpec: filesystem', () => {
  it('marks a read-only rootfs and mounts the /etc files read-only with it', () => {
    const files = { resolvConf: '/c/resolv.conf', hostsFile: '/c/hosts', hostnameFile: '/c/hostname' };
    const spec = build({ readonlyRootfs: true, ...files });
    assert.deepEqual(spec.root, { path: base.rootfsPath, readonly: true });
    assert.deepEqual(
      spec.mounts.slice(-3).map((m) => [m.destination, m.source, m.options]),
      [
        ['/etc/resolv.conf', '/c/resolv.conf', ['rbind', 'ro', 'rprivate']],
        ['/etc/hostname', '/c/hostname', ['rbind', 'ro', 'rprivate']],
        ['/etc/hosts', '/c/hosts', ['rbind', 'ro', 'rprivate']],
      ],
    );
    assert.ok(!mount(spec, '/proc')?.options?.includes('ro'));
    assert.ok(!mount(spec, '/dev/shm')?.options?.includes('ro'));
  });

  it('lets user mounts replace defaults and sorts them parents first', () => {
    const spec = build({
      shmSize: 1024 * 1024,
      mounts: [
        { destination: '/data/sub', type: 'bind', source: '/h/sub', options: ['rbind'] },
        { destination: '/data', type: 'bind', source: '/h/data', options: ['rbind'] },
        { destination: '/etc/hosts', type: 'bind', source: '/mine', options: ['rbind', 'ro'] },
      ],
      hostsFile: '/c/hosts',
    });
    assert.deepEqual(mount(spec, '/dev/shm')?.options?.at(-1), 'size=1048576');
    assert.deepEqual(spec.mounts.slice(-3).map((m) => m.destination), ['/data', '/data/sub', '/etc/hosts']);
    assert.equal(mount(spec, '/etc/hosts')?.source, '/mine');
    const dev = build({ mounts: [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }] });
    assert.deepEqual(dev.mounts.filter((m) => m.destination.startsWith('/dev')).map((m) => m.source), ['/dev']);
  });
});

describe('buildRuntimeSpec: sysctls', () => {
  it('sets docker’s network sysctls and the domainname, and lets --sysctl override them', () => {
    const spec = build({
      domainname: 'example.com',
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1' },
    });
    assert.deepEqual(spec.linux.sysctl, {
      'kernel.domainname': 'example.com',
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '1024',
      'kernel.shmmax': '1',
    });
  });

  it('refuses sysctls the container’s namespaces do not scope', () => {
    const hostNet = { namespaces: { net: 'host' }, sysctls: { 'net.core.somaxconn': '1' } } as const;
    invalid(() => build(hostNet), /hosts network namespace/);
    invalid(() => build({ namespaces: { ipc: 'host' }, sysctls: { 'kernel.msgmax': '1' } }), /hosts ipc namespace/);
    invalid(
      () => build({ namespaces: { uts: 'host' }, domainname: 'x' }),
      /"kernel.domainname" is not in a separate kernel namespace/,
    );
    invalid(() => build({ sysctls: { 'vm.overcommit_memory': '1' } }), /not in a separate kernel namespace/);
  });
});
