import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { access, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, TestDaemon, type RunResult } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { makeLab as makeNetnsLab, removeLab as removeNetnsLab, type Lab as NetnsLab } from '../../helpers/netns-lab.js';

/**
 * Published ports that obey firewalld (issue 19). A real firewalld (Debian's 1.3.3, nftables
 * backend) runs in the test's own "host" network namespace, with berthd; an "outside" namespace
 * joined by a veth is another machine. firewalld gets a private system bus (a dbus-daemon of the
 * test's, on a socket in its directory), a copy of /etc/firewalld bound over it and a tmpfs /run,
 * both in a mount namespace of its own: this machine's bus, firewall config and network are never
 * touched. Every reachability asserted is a real TCP connection from outside, and `berth port
 * audit` must agree with each one.
 */
const HOST_IP = '10.231.7.1';
const OUTSIDE_IP = '10.231.7.2';

interface Lab extends NetnsLab {
  /** The private bus, for berthd and firewall-cmd. */
  env: NodeJS.ProcessEnv;
  processes: ChildProcess[];
  fw(...args: string[]): Promise<RunResult>;
}

const BUS_CONFIG = (socket: string): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

/**
 * A long-running child whose output goes to a log file of the lab's (read when a step fails). It
 * gets SIGTERM should the test process die without its after() (setpriv's parent-death signal
 * survives the execs down to dbus-daemon or firewalld, which keep this PID).
 */
function daemon(lab: Lab, name: string, file: string, args: string[]): ChildProcess {
  const child = spawn('setpriv', ['--pdeathsig', 'SIGTERM', file, ...args], { env: lab.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  child.on('exit', () => void writeFile(join(lab.dir, `${name}.log`), log).catch(() => undefined));
  lab.processes.push(child);
  return child;
}

async function makeLab(): Promise<Lab> {
  const base = await makeNetnsLab('hfw-', { host4: `${HOST_IP}/24`, outside4: `${OUTSIDE_IP}/24`, link: 'hfw0' });
  const dir = base.dir;
  const socket = join(dir, 'bus');
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const lab: Lab = { ...base, env, processes: [], fw: (...args) => run('firewall-cmd', args, { env }) };
  try {
    await writeFile(join(dir, 'bus.conf'), BUS_CONFIG(socket));
    daemon(lab, 'dbus', 'nsenter', [`--net=${lab.host}`, 'dbus-daemon', `--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--nopidfile']);
    await until(async () => access(socket).then(() => true, () => undefined), 'the private system bus', 10_000);

    // firewalld's config, copied, with the default zone the matrix assumes and no berth zone yet.
    const etc = join(dir, 'etc-firewalld');
    await cp('/etc/firewalld', etc, { recursive: true });
    const conf = join(etc, 'firewalld.conf');
    await writeFile(conf, (await readFile(conf, 'utf8')).replace(/^DefaultZone=.*$/m, 'DefaultZone=public'));
    await rm(join(etc, 'zones', 'berth.xml'), { force: true });
    await rm(join(etc, 'policies', 'berth-forwarding.xml'), { force: true });
    await mkdir(join(dir, 'run'));
    const script = `mount --bind ${etc} /etc/firewalld && mount --bind ${join(dir, 'run')} /run && exec nsenter --net=${lab.host} firewalld --nofork --nopid --log-target console`;
    daemon(lab, 'firewalld', 'unshare', ['-m', '--propagation', 'private', 'sh', '-c', script]);
    await until(async () => ((await lab.fw('--state')).stdout.trim() === 'running' ? true : undefined), 'firewalld running', 30_000);
    return lab;
  } catch (err) {
    await removeLab(lab);
    throw err;
  }
}

async function removeLab(lab: Lab): Promise<void> {
  // firewalld first (it leaves the bus), then the bus; each waited for.
  for (const child of [...lab.processes].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await removeNetnsLab(lab);
}

/** A real connection from the outside namespace to the host's published port. */
async function reachable(lab: Lab, port: number): Promise<boolean> {
  const r = await run('nsenter', [`--net=${lab.outside}`, 'curl', '-s', '--max-time', '2', `http://${HOST_IP}:${port}/`]);
  return r.code === 0 && r.stdout.includes('reached');
}

interface AuditRow {
  HostPort: number;
  Reachable: string;
  Reason: string;
  Fix: string;
}

async function audit(d: TestDaemon): Promise<{ Firewall: string; Ports: AuditRow[] }> {
  return d.client.json({ method: 'GET', path: '/berth/v1/ports/audit' });
}

/** The port's reachability once the daemon has caught up with firewalld, and the audit's word on it. */
async function expectReach(lab: Lab, d: TestDaemon, port: number, want: boolean): Promise<AuditRow> {
  await until(async () => ((await reachable(lab, port)) === want ? true : undefined), `port ${port} ${want ? 'reachable' : 'unreachable'} from outside`, 10_000);
  const row = (await audit(d)).Ports.find((p) => p.HostPort === port);
  assert.ok(row, `port ${port} in the audit`);
  assert.equal(row.Reachable, want ? 'yes' : 'no', `audit of ${port}: ${row.Reason}`);
  return row;
}

async function zoneInterfaces(lab: Lab): Promise<string[]> {
  return ok(await lab.fw('--zone=berth', '--list-interfaces'), 'list the berth zone').stdout.trim().split(/\s+/).filter((w) => w !== '');
}

/** A container reaching a server in the outside namespace (through the berth zone and policy). */
async function reachesOut(lab: Lab, d: TestDaemon): Promise<void> {
  const www = join(lab.dir, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'index.html'), 'outside says hi\n');
  const server = spawn('nsenter', [`--net=${lab.outside}`, 'busybox', 'httpd', '-f', '-p', '9000', '-h', www], { stdio: 'ignore' });
  try {
    const got = await until(async () => {
      const r = await d.docker(['run', '--rm', 'busybox', 'wget', '-q', '-O', '-', `http://${OUTSIDE_IP}:9000/`]);
      return r.code === 0 ? r : undefined;
    }, 'a container reaching the outside host', 15_000);
    assert.equal(got.stdout, 'outside says hi\n');
  } finally {
    server.kill();
  }
}

const SERVER = ['sh', '-c', 'mkdir -p /w && echo reached > /w/index.html && exec httpd -f -p 80 -h /w'];

describe('published ports obey firewalld zones', () => {
  let lab: Lab | undefined;
  let d: TestDaemon | undefined;
  const L = (): Lab => lab as Lab;
  const D = (): TestDaemon => d as TestDaemon;

  before(async () => {
    lab = await makeLab();
    d = await TestDaemon.startInNetns(lab.host, [], { DBUS_SYSTEM_BUS_ADDRESS: lab.env.DBUS_SYSTEM_BUS_ADDRESS });
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    ok(await d.docker(['run', '-d', '--name', 'web', '-p', '8080:80', '-p', '127.0.0.1:8081:80', 'busybox', ...SERVER]), 'run web');
  });

  after(async () => {
    await d?.stop();
    if (lab) await removeLab(lab);
  });

  it('berthd makes the berth zone and its forwarding policy, and puts its bridge in the zone', async () => {
    assert.match(ok(await L().fw('--permanent', '--get-zones'), 'zones').stdout, /\bberth\b/);
    const policy = ok(await L().fw('--info-policy=berth-forwarding'), 'the policy').stdout;
    assert.match(policy, /target: ACCEPT/);
    assert.match(policy, /ingress-zones: berth\n/);
    assert.match(policy, /egress-zones: ANY\n/);
    await until(async () => ((await zoneInterfaces(L())).includes('berth0') ? true : undefined), 'berth0 in the berth zone');
  });

  it('zone public with no rule: refused, said at run time and by the audit with the fix; 127.0.0.1 never', async () => {
    const row = await expectReach(L(), D(), 8080, false);
    assert.equal(row.Reason, 'firewalld: hfw0 is in zone public (the default zone), and it does not allow 8080/tcp');
    assert.equal(row.Fix, 'firewall-cmd --zone=public --add-port=8080/tcp');
    assert.equal((await audit(D())).Firewall, 'firewalld');
    await expectReach(L(), D(), 8081, false);
    const warned = ok(await D().docker(['run', '-d', '--name', 'warned', '-p', '8082:80', 'busybox', ...SERVER]), 'run warned');
    assert.match(warned.stderr, /published port 8082\/tcp will not be reachable from other hosts: firewalld: hfw0 is in zone public \(the default zone\), and it does not allow 8082\/tcp; run "firewall-cmd --zone=public --add-port=8082\/tcp"/);
    await expectReach(L(), D(), 8082, false);
    const cli = ok(await D().berth(['port', 'audit']), 'berth port audit');
    assert.match(cli.stdout, /web\s+0\.0\.0\.0:8080\/tcp\s+80\s+no\s+firewalld: hfw0 is in zone public.*firewall-cmd --zone=public --add-port=8080\/tcp/);
  });

  it('containers reach out through the berth zone', async () => {
    await reachesOut(L(), D());
  });

  it('public + --add-port=8080/tcp: exactly that port is reached', async () => {
    ok(await L().fw('--zone=public', '--add-port=8080/tcp'), 'add-port');
    const row = await expectReach(L(), D(), 8080, true);
    assert.equal(row.Reason, 'firewalld: hfw0 is in zone public (the default zone), and it allows port 8080/tcp');
    assert.equal(row.Fix, 'firewall-cmd --zone=public --remove-port=8080/tcp');
    await expectReach(L(), D(), 8082, false);
    await expectReach(L(), D(), 8081, false);
  });

  it('the interface in zone trusted: every published port is reached, 127.0.0.1 still never', async () => {
    ok(await L().fw('--zone=public', '--remove-port=8080/tcp'), 'remove-port');
    ok(await L().fw('--zone=trusted', '--change-interface=hfw0'), 'hfw0 to trusted');
    const row = await expectReach(L(), D(), 8080, true);
    assert.equal(row.Reason, 'firewalld: hfw0 is in zone trusted, and its target is ACCEPT');
    assert.equal(row.Fix, 'firewall-cmd --zone=trusted --remove-interface=hfw0');
    await expectReach(L(), D(), 8082, true);
    await expectReach(L(), D(), 8081, false);
  });

  it('a firewalld reload drops the runtime config: Berth puts its bridge back, the ports follow public again', async () => {
    ok(await L().fw('--reload'), 'reload');
    await expectReach(L(), D(), 8080, false);
    await expectReach(L(), D(), 8082, false);
    await until(async () => ((await zoneInterfaces(L())).includes('berth0') ? true : undefined), 'berth0 back in the berth zone');
    await reachesOut(L(), D());
  });

  it("a network's bridge joins the zone with it and leaves when the network goes", async () => {
    ok(await D().docker(['network', 'create', '--subnet', '10.231.9.0/24', 'hfwnet']), 'network create');
    const bridge = `br-${ok(await D().docker(['network', 'inspect', '-f', '{{.Id}}', 'hfwnet']), 'inspect').stdout.trim().slice(0, 12)}`;
    await until(async () => ((await zoneInterfaces(L())).includes(bridge) ? true : undefined), `${bridge} in the berth zone`);
    ok(await D().docker(['network', 'rm', 'hfwnet']), 'network rm');
    await until(async () => (!(await zoneInterfaces(L())).includes(bridge) ? true : undefined), `${bridge} out of the berth zone`);
  });

  it('berthd stopping takes its bridges out of the zone', async () => {
    await D().halt();
    assert.deepEqual(await zoneInterfaces(L()), []);
  });

  it("this machine's own firewall is untouched: its ruleset, its /etc/firewalld", async () => {
    await access(join(L().dir, 'etc-firewalld', 'zones', 'berth.xml'));
    await assert.rejects(access('/etc/firewalld/zones/berth.xml'), 'the zone went into the copy only');
    assert.doesNotMatch(ok(await run('nft', ['list', 'tables']), 'nft list tables').stdout, /table inet firewalld/);
  });

  it("--firewall-mode=docker keeps docker's behaviour: published ports bypass the zone", async () => {
    await D().stop();
    d = undefined;
    d = await TestDaemon.startInNetns(L().host, ['--firewall-mode=docker'], { DBUS_SYSTEM_BUS_ADDRESS: L().env.DBUS_SYSTEM_BUS_ADDRESS });
    ok(await D().berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    ok(await D().docker(['run', '-d', '-p', '8090:80', '-p', '127.0.0.1:8091:80', 'busybox', ...SERVER]), 'run');
    const row = await expectReach(L(), D(), 8090, true);
    assert.match(row.Reason, /--firewall-mode=docker/);
    await expectReach(L(), D(), 8091, false);
    await reachesOut(L(), D());
  });
});
