import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, TestDaemon, type RunResult } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { makeLab, removeLab, type Lab } from '../../helpers/netns-lab.js';

/**
 * Published ports that obey ufw (issue 19). Three namespaces the test makes: "host", where
 * berthd and ufw run; "outside", another machine joined to host by a veth; ufw's config is a
 * private copy of /etc/ufw bound over it in a mount namespace of each ufw call, so this
 * machine's own firewall is never enabled or changed. Every reachability the test asserts is a
 * real TCP connection from outside, and `berth port audit` must agree with each one.
 */
const HOST_IP = '10.250.7.1';
const OUTSIDE_IP = '10.250.7.2';

interface UfwLab extends Lab {
  ufw(...args: string[]): Promise<RunResult>;
}

async function makeUfwLab(): Promise<UfwLab> {
  const lab = await makeLab('berth-fw-', { host4: `${HOST_IP}/24`, outside4: `${OUTSIDE_IP}/24` });
  const dir = lab.dir;
  // ufw's files, copied: IPv4 only, and no sysctl file (some of its keys are not per namespace).
  await cp('/etc/ufw', join(dir, 'etc-ufw'), { recursive: true });
  const defaults = (await readFile('/etc/default/ufw', 'utf8')).replace(/^IPV6=.*$/m, 'IPV6=no').replace(/^IPT_SYSCTL=.*$/m, 'IPT_SYSCTL=');
  await writeFile(join(dir, 'default-ufw'), defaults);
  const script = `mount --bind ${join(dir, 'etc-ufw')} /etc/ufw && mount --bind ${join(dir, 'default-ufw')} /etc/default/ufw && exec nsenter --net=${lab.host} ufw "$@"`;
  const ufw = (...args: string[]): Promise<RunResult> => run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...args]);
  return { ...lab, ufw };
}

/** A real connection from the outside namespace to the host's published port. */
async function reachable(lab: Lab, port: number): Promise<boolean> {
  const r = await run('nsenter', [`--net=${lab.outside}`, 'curl', '-s', '--max-time', '2', `http://${HOST_IP}:${port}/`]);
  return r.code === 0 && r.stdout.includes('reached');
}

interface Audit {
  Ports: Array<{ HostPort: number; Reachable: string; Reason: string; Fix: string }>;
  Firewall: string;
}

async function audit(d: TestDaemon): Promise<Audit> {
  return d.client.json<Audit>({ method: 'GET', path: '/berth/v1/ports/audit' });
}

/** The port's reachability once the daemon has caught up with the ruleset, checked against the audit. */
async function expectReach(lab: Lab, d: TestDaemon, port: number, want: boolean): Promise<void> {
  await until(async () => ((await reachable(lab, port)) === want ? true : undefined), `port ${port} ${want ? 'reachable' : 'unreachable'} from outside`, 8_000);
  const row = (await audit(d)).Ports.find((p) => p.HostPort === port);
  assert.ok(row, `port ${port} in the audit`);
  assert.equal(row.Reachable, want ? 'yes' : 'no', `audit of ${port}: ${row.Reason}`);
}

const SERVER = ['sh', '-c', 'mkdir -p /w && echo reached > /w/index.html && exec httpd -f -p 80 -h /w'];

describe('published ports obey ufw', () => {
  let lab: UfwLab;
  let d: TestDaemon;

  before(async () => {
    lab = await makeUfwLab();
    d = await TestDaemon.startInNetns(lab.host);
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    ok(await d.docker(['run', '-d', '--name', 'web', '-p', '8080:80', '-p', '127.0.0.1:8081:80', 'busybox', ...SERVER]), 'run web');
  });

  after(async () => {
    await d?.stop();
    if (lab) await removeLab(lab);
  });

  it('without a firewall: reachable, and 127.0.0.1 never', async () => {
    await expectReach(lab, d, 8080, true);
    await expectReach(lab, d, 8081, false);
    assert.equal((await audit(d)).Firewall, 'none');
  });

  it('ufw on with no rule: unreachable, said at run time and by the audit', async () => {
    ok(await lab.ufw('--force', 'enable'), 'ufw enable');
    await expectReach(lab, d, 8080, false);
    const a = await audit(d);
    assert.equal(a.Firewall, 'ufw');
    const row = a.Ports.find((p) => p.HostPort === 8080);
    assert.match(row?.Reason ?? '', /ufw has no rule allowing 8080\/tcp/);
    assert.equal(row?.Fix, 'ufw allow 8080/tcp');
    const warned = ok(await d.docker(['run', '-d', '--name', 'warned', '-p', '8082:80', 'busybox', ...SERVER]), 'run warned');
    assert.match(warned.stderr, /published port 8082\/tcp will not be reachable from other hosts: ufw has no rule allowing 8082\/tcp/);
    const cli = ok(await d.berth(['port', 'audit']), 'berth port audit');
    assert.match(cli.stdout, /web\s+0\.0\.0\.0:8080\/tcp\s+80\s+no\s+ufw has no rule/);
    assert.match(cli.stdout, /web\s+127\.0\.0\.1:8081\/tcp\s+80\s+no\s+published on 127\.0\.0\.1/);
  });

  it('ufw allow opens exactly that port; containers still reach out', async () => {
    ok(await lab.ufw('allow', '8080/tcp'), 'ufw allow');
    await expectReach(lab, d, 8080, true);
    await expectReach(lab, d, 8082, false);
    await expectReach(lab, d, 8081, false);
    // The firewall's forward drop must not cut containers off from other hosts either.
    const www = join(lab.dir, 'www');
    await mkdir(www);
    await writeFile(join(www, 'index.html'), 'outside says hi\n');
    const server = spawn('nsenter', [`--net=${lab.outside}`, 'busybox', 'httpd', '-f', '-p', '9000', '-h', www], { stdio: 'ignore' });
    try {
      const got = await until(async () => {
        const r = await d.docker(['run', '--rm', 'busybox', 'wget', '-q', '-O', '-', `http://${OUTSIDE_IP}:9000/`]);
        return r.code === 0 ? r : undefined;
      }, 'a container reaching the outside host');
      assert.equal(got.stdout, 'outside says hi\n');
    } finally {
      server.kill();
    }
  });

  it('ufw deny closes it again', async () => {
    ok(await lab.ufw('delete', 'allow', '8080/tcp'), 'ufw delete allow');
    ok(await lab.ufw('deny', '8080/tcp'), 'ufw deny');
    await expectReach(lab, d, 8080, false);
    assert.match((await audit(d)).Ports.find((p) => p.HostPort === 8080)?.Reason ?? '', /ufw denies it/);
  });

  it('ufw off again: reachable without any rule', async () => {
    ok(await lab.ufw('disable'), 'ufw disable');
    await expectReach(lab, d, 8080, true);
    await expectReach(lab, d, 8082, true);
    await expectReach(lab, d, 8081, false);
  });

  it("--firewall-mode=docker keeps docker's behaviour: published ports bypass ufw", async () => {
    await d.stop();
    d = await TestDaemon.startInNetns(lab.host, ['--firewall-mode=docker']);
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    ok(await d.docker(['run', '-d', '-p', '8090:80', '-p', '127.0.0.1:8091:80', 'busybox', ...SERVER]), 'run');
    ok(await lab.ufw('--force', 'enable'), 'ufw enable');
    ok(await lab.ufw('deny', '8090/tcp'), 'ufw deny');
    await expectReach(lab, d, 8090, true);
    await expectReach(lab, d, 8091, false);
    assert.match((await audit(d)).Ports.find((p) => p.HostPort === 8090)?.Reason ?? '', /--firewall-mode=docker/);
  });
});
