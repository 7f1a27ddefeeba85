import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import type { CreateRequest } from '../../api/types/container.js';
import { addContainerFlags, type RunFlags } from './run-flags.js';
import { buildCreateRequest, detachBody } from './run-options.js';

const hostEnv = (k: string): string | undefined => (k === 'FROM_HOST' ? 'hostval' : undefined);

/** Parses `berth run ARGV` with the real flag definitions. */
function parseRun(argv: string[]): { image: string; args: string[]; flags: RunFlags } {
  const program = new Command().enablePositionalOptions().exitOverride();
  let got: { image: string; args: string[]; flags: RunFlags } | undefined;
  const run = program.command('run').argument('<image>').argument('[command...]').exitOverride();
  addContainerFlags(run, true).action((image: string, args: string[], flags: RunFlags) => {
    got = { image, args, flags };
  });
  program.parse(['run', ...argv], { from: 'user' });
  if (!got) throw new Error('action did not run');
  return got;
}

function build(argv: string[], consoleSize: [number, number] = [0, 0]): CreateRequest {
  const { image, args, flags } = parseRun(argv);
  return buildCreateRequest(flags, image, args, { consoleSize, lookupEnv: hostEnv });
}

test('plain run: docker defaults (attach stdout/stderr, restart no, NetworkMode default, swappiness -1)', () => {
  const { body, name } = build(['alpine']);
  assert.equal(name, undefined);
  assert.equal(body.Image, 'alpine');
  assert.equal(body.Cmd, null);
  assert.equal(body.Entrypoint, null);
  assert.deepEqual([body.AttachStdin, body.AttachStdout, body.AttachStderr], [false, true, true]);
  assert.deepEqual([body.Tty, body.OpenStdin, body.StdinOnce], [false, false, false]);
  assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(body.HostConfig.NetworkMode, 'default');
  assert.equal(body.HostConfig.MemorySwappiness, -1);
  assert.deepEqual(body.HostConfig.ConsoleSize, [0, 0]);
  assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: { default: {} } });
  assert.equal(body.HostConfig.Init, undefined);
});

test('parsing stops at the image: later flags belong to the command', () => {
  const { image, args, flags } = parseRun(['--rm', 'alpine', 'sh', '-c', 'echo -n hi', '--rm']);
  assert.equal(image, 'alpine');
  assert.deepEqual(args, ['sh', '-c', 'echo -n hi', '--rm']);
  assert.equal(flags.rm, true);
});

test('-it: Tty, OpenStdin, AttachStdin and StdinOnce; the console size goes in HostConfig', () => {
  const { body } = build(['-it', 'alpine', 'sh'], [40, 120]);
  assert.deepEqual([body.Tty, body.OpenStdin, body.AttachStdin, body.StdinOnce], [true, true, true, true]);
  assert.deepEqual(body.HostConfig.ConsoleSize, [40, 120]);
  assert.deepEqual(body.Cmd, ['sh']);
});

test('-d clears every attach flag', () => {
  const req = build(['-d', '-i', 'alpine']);
  detachBody(req);
  assert.deepEqual([req.body.AttachStdin, req.body.AttachStdout, req.body.AttachStderr, req.body.StdinOnce], [false, false, false, false]);
  assert.equal(req.body.OpenStdin, true);
});

test('-a selects streams; -i adds stdin', () => {
  const { body } = build(['-a', 'stderr', '-i', 'alpine']);
  assert.deepEqual([body.AttachStdin, body.AttachStdout, body.AttachStderr], [true, false, true]);
  assert.throws(() => build(['-a', 'bogus', 'alpine']), /valid streams are STDIN, STDOUT and STDERR/);
});

test('repeated -e/--env collect; a bare -e KEY takes the host value or is dropped', () => {
  const { body } = build(['-e', 'A=1', '--env', 'B=2', '-e', 'FROM_HOST', '-e', 'UNSET', '-eC=3', 'alpine']);
  assert.deepEqual(body.Env, ['A=1', 'B=2', 'FROM_HOST=hostval', 'C=3']);
});

test('name, hostname (-h), user, workdir, entrypoint, labels, stop signal and timeout', () => {
  const req = build(['--name', 'web', '-h', 'box', '-u', '1000:1000', '-w', '/app', '--entrypoint', '/bin/sh', '-l', 'a=1', '--label', 'b',
    '--stop-signal', 'SIGINT', '--stop-timeout', '5', 'alpine']);
  assert.equal(req.name, 'web');
  assert.equal(req.body.Hostname, 'box');
  assert.equal(req.body.User, '1000:1000');
  assert.equal(req.body.WorkingDir, '/app');
  assert.deepEqual(req.body.Entrypoint, ['/bin/sh']);
  assert.deepEqual(req.body.Labels, { a: '1', b: '' });
  assert.equal(req.body.StopSignal, 'SIGINT');
  assert.equal(req.body.StopTimeout, 5);
});

test('--entrypoint "" resets the image entrypoint', () => {
  assert.deepEqual(build(['--entrypoint', '', 'alpine']).body.Entrypoint, ['']);
});

test('ports: -p into ExposedPorts and PortBindings, --expose merged, -P', () => {
  const { body } = build(['-p', '8080:80', '-p', '127.0.0.1::53/udp', '--expose', '9000', '-P', 'nginx']);
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} });
  assert.deepEqual(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.equal(body.HostConfig.PublishAllPorts, true);
});

test('resources: memory, cpus, shares, pids, swap, ulimits', () => {
  const hc = build(['-m', '512m', '--cpus', '1.5', '-c', '512', '--pids-limit', '-1', '--memory-swap', '-1', '--memory-reservation', '1g',
    '--ulimit', 'nofile=1024:2048', '--shm-size', '64m', 'alpine']).body.HostConfig;
  assert.equal(hc.Memory, 512 * 1024 * 1024);
  assert.equal(hc.NanoCpus, 1_500_000_000);
  assert.equal(hc.CpuShares, 512);
  assert.equal(hc.PidsLimit, -1);
  assert.equal(hc.MemorySwap, -1);
  assert.equal(hc.MemoryReservation, 1024 ** 3);
  assert.equal(hc.ShmSize, 64 * 1024 * 1024);
  assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
});

test('bad typed values are worded like pflag', () => {
  assert.throws(() => build(['-m', '12x', 'alpine']), /invalid argument "12x" for "-m, --memory" flag: invalid suffix: 'x'/);
  assert.throws(() => build(['--cpus', 'x', 'alpine']), /invalid argument "x" for "--cpus" flag: failed to parse x as a rational number/);
  assert.throws(() => build(['--health-interval', '5', 'alpine']), /for "--health-interval" flag: time: missing unit/);
  assert.throws(() => build(['--memory-swappiness', '101', 'alpine']), /Valid memory swappiness range is 0-100/);
});

test('security and namespaces: privileged, caps, security-opt, pid/ipc/uts, read-only, init, runtime', () => {
  const hc = build(['--privileged', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_TIME', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--security-opt', 'apparmor=unconfined', '--pid', 'host', '--ipc', 'private', '--uts', 'host', '--read-only', '--init', '--runtime', 'crun', 'alpine']).body.HostConfig;
  assert.equal(hc.Privileged, true);
  assert.deepEqual(hc.CapAdd, ['NET_ADMIN', 'SYS_TIME']);
  assert.deepEqual(hc.CapDrop, ['ALL']);
  assert.deepEqual(hc.SecurityOpt, ['no-new-privileges', 'apparmor=unconfined']);
  assert.deepEqual([hc.PidMode, hc.IpcMode, hc.UTSMode], ['host', 'private', 'host']);
  assert.equal(hc.ReadonlyRootfs, true);
  assert.equal(hc.Init, true);
  assert.equal(hc.Runtime, 'crun');
  assert.throws(() => build(['--pid', 'bogus', 'alpine']), /--pid: invalid PID mode/);
  assert.throws(() => build(['--security-opt', 'label', 'alpine']), /invalid --security-opt: "label"/);
});

test('systempaths=unconfined empties MaskedPaths/ReadonlyPaths instead of being sent', () => {
  const hc = build(['--security-opt', 'systempaths=unconfined', 'alpine']).body.HostConfig;
  assert.deepEqual([hc.MaskedPaths, hc.ReadonlyPaths, hc.SecurityOpt], [[], [], null]);
});

test('storage: -v binds and anonymous volumes, --mount, --tmpfs', () => {
  const body = build(['-v', '/host:/ctr', '-v', '/anon', '--mount', 'type=bind,src=/a,dst=/b', '--tmpfs', '/run:size=1m', 'alpine']).body;
  assert.deepEqual(body.HostConfig.Binds, ['/host:/ctr']);
  assert.deepEqual(body.Volumes, { '/anon': {} });
  assert.deepEqual(body.HostConfig.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b' }]);
  assert.deepEqual(body.HostConfig.Tmpfs, { '/run': 'size=1m' });
});

test('network: --network/--net, aliases, ip, dns, add-host', () => {
  const body = build(['--net', 'mynet', '--network-alias', 'web', '--ip', '10.0.0.5', '--dns', '1.1.1.1', '--dns-search', 'example.com',
    '--dns-option', 'ndots:2', '--add-host', 'db:10.0.0.9', '--add-host', 'gw=host-gateway', 'alpine']).body;
  assert.equal(body.HostConfig.NetworkMode, 'mynet');
  assert.deepEqual(body.NetworkingConfig.EndpointsConfig, { mynet: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.0.0.5' } } });
  assert.deepEqual(body.HostConfig.Dns, ['1.1.1.1']);
  assert.deepEqual(body.HostConfig.DnsSearch, ['example.com']);
  assert.deepEqual(body.HostConfig.DnsOptions, ['ndots:2']);
  assert.deepEqual(body.HostConfig.ExtraHosts, ['db:10.0.0.9', 'gw:host-gateway']);
  assert.throws(() => build(['--network-alias', 'x', 'alpine']), /network-scoped aliases are only supported for user-defined networks/);
  assert.throws(() => build(['--add-host', 'nocolon', 'alpine']), /bad format for add-host/);
});

test('network: one plain network sends no endpoint; several, and the long syntax, send one each', () => {
  assert.deepEqual(build(['--network', 'host', 'alpine']).body.NetworkingConfig.EndpointsConfig, {});
  const body = build(['--network', 'name=front,alias=web,ip=10.1.0.5', '--network', 'back', 'alpine']).body;
  assert.equal(body.HostConfig.NetworkMode, 'front');
  assert.deepEqual(body.NetworkingConfig.EndpointsConfig, { front: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.5' } }, back: {} });
  assert.throws(() => build(['--network', 'host', '--network', 'mynet', 'alpine']), /cannot attach both user-defined and non-user-defined/);
  assert.throws(() => build(['--network', 'a', '--network', 'a', 'alpine']), /network "a" is specified multiple times/);
  assert.throws(() => build(['--network', 'name=x,alias=y', '--network-alias', 'z', 'alpine']), /cannot specify both --network-alias and per-network alias/);
  assert.deepEqual(build(['--mac-address', '92:d0:c6:0a:29:33', 'alpine']).body.NetworkingConfig.EndpointsConfig, { default: { MacAddress: '92:d0:c6:0a:29:33' } });
});

test('restart policies, and --rm conflicting with one', () => {
  assert.deepEqual(build(['--restart', 'on-failure:3', 'alpine']).body.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(build(['--restart', 'always', 'alpine']).body.HostConfig.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => build(['--rm', '--restart', 'always', 'alpine']), /cannot specify both --restart and --rm/);
  assert.throws(() => build(['--restart', 'on-failure:x', 'alpine']), /maximum retry count must be an integer/);
  assert.equal(build(['--rm', 'alpine']).body.HostConfig.AutoRemove, true);
});

test('logging, sysctls, devices, groups', () => {
  const hc = build(['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--sysctl', 'net.ipv4.ip_forward=1', '--device', '/dev/fuse',
    '--group-add', 'audio', '--oom-score-adj', '100', 'alpine']).body.HostConfig;
  assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.deepEqual(hc.Sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(hc.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
  assert.deepEqual(hc.GroupAdd, ['audio']);
  assert.equal(hc.OomScoreAdj, 100);
  assert.throws(() => build(['--log-driver', 'none', '--log-opt', 'a=b', 'alpine']), /invalid logging opts for driver none/);
});

test('health checks: --health-* in nanoseconds, --no-healthcheck', () => {
  const body = build(['--health-cmd', 'curl -f localhost', '--health-interval', '30s', '--health-timeout', '5s', '--health-retries', '3',
    '--health-start-period', '1m', 'alpine']).body;
  assert.deepEqual(body.Healthcheck, { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, StartInterval: 0, Retries: 3 });
  assert.deepEqual(build(['--no-healthcheck', 'alpine']).body.Healthcheck, { Test: ['NONE'] });
  assert.throws(() => build(['--no-healthcheck', '--health-retries', '2', 'alpine']), /--no-healthcheck conflicts with --health-\* options/);
});

test('--health-on-failure is sent as the berth.health-on-failure label, beside --label', () => {
  assert.deepEqual(build(['--health-on-failure', 'restart', '-l', 'a=b', 'alpine']).body.Labels, { a: 'b', 'berth.health-on-failure': 'restart' });
  assert.deepEqual(build(['--health-on-failure=kill', 'alpine']).body.Labels, { 'berth.health-on-failure': 'kill' });
  assert.equal(build(['alpine']).body.Labels['berth.health-on-failure'], undefined);
});

test("pflag's boolean =value forms: --sig-proxy=false, --rm=true, -t=false", () => {
  const { flags } = parseRun(['--sig-proxy=false', '--rm=true', '-t=false', '--privileged=false', 'alpine', '--sig-proxy=true']);
  assert.equal(flags.sigProxy, false);
  assert.equal(flags.rm, true);
  assert.equal(flags.tty, undefined);
  assert.equal(flags.privileged, undefined);
  assert.deepEqual(parseRun(['--name', '--rm=false', 'alpine']).flags.name, '--rm=false');
});

test('--platform and --name go to the query, not the body', () => {
  const req = build(['--platform', 'linux/amd64', '--name', 'x', 'alpine']);
  assert.deepEqual([req.platform, req.name], ['linux/amd64', 'x']);
});
