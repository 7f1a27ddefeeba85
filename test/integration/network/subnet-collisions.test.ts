import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok as expectOk, until } from '../../helpers/expect.js';

/**
 * Subnets that never collide (issue 19): each case runs berthd in a network namespace the test
 * makes, with dockerd's defaults (bridge berth0, the default pools), so the "host" routes and
 * the "VPN" are the namespace's, never this machine's. Removing the namespace removes them all.
 */
async function makeNetns(): Promise<{ path: string; dir: string; ip: (...args: string[]) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-netns-'));
  const path = join(dir, 'ns');
  await writeFile(path, '');
  expectOk(await run('unshare', [`--net=${path}`, 'true']), 'unshare');
  const ip = async (...args: string[]): Promise<string> => expectOk(await run('nsenter', [`--net=${path}`, 'ip', ...args]), `ip ${args.join(' ')}`).stdout;
  await ip('link', 'set', 'lo', 'up');
  return { path, dir, ip };
}

async function removeNetns(ns: { path: string; dir: string }): Promise<void> {
  await run('umount', ['-l', ns.path]);
  await rm(ns.dir, { recursive: true, force: true });
}

const addresses = async (ip: (...args: string[]) => Promise<string>, dev: string): Promise<string[]> =>
  (JSON.parse(await ip('-j', '-4', 'addr', 'show', 'dev', dev)) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));

describe('subnets that never collide', () => {
  it('restarting berthd on a fresh data root ten times leaves berth0 with one address', async () => {
    const ns = await makeNetns();
    try {
      let first: string[] = [];
      for (let i = 0; i < 10; i++) {
        const d = await TestDaemon.startInNetns(ns.path);
        try {
          const subnet = (await d.client.json<{ IPAM: { Config: Array<{ Subnet: string }> } }>({ method: 'GET', path: '/networks/bridge' })).IPAM.Config[0]?.Subnet;
          if (i === 0) first = await addresses(ns.ip, 'berth0');
          assert.equal(first.length, 1, `berth0 after the first start: ${first.join(', ')}`);
          assert.equal(subnet, `${first[0]?.split('.').slice(0, 2).join('.')}.0.0/${first[0]?.split('/')[1]}`, `start ${i + 1} adopts berth0's address`);
        } finally {
          await d.stop();
        }
      }
      assert.deepEqual(await addresses(ns.ip, 'berth0'), first);
    } finally {
      await removeNetns(ns);
    }
  });

  it('with --ipv6 and no --fixed-cidr-v6, a fresh data root adopts the unique local prefix berth0 has', async () => {
    const ns = await makeNetns();
    try {
      const six = async (): Promise<string[]> =>
        (JSON.parse(await ns.ip('-j', '-6', 'addr', 'show', 'dev', 'berth0', 'scope', 'global')) as Array<{ addr_info: Array<{ local?: string; prefixlen?: number }> }>).flatMap((l) => l.addr_info.filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`));
      let first: string[] = [];
      for (let i = 0; i < 3; i++) {
        const d = await TestDaemon.startInNetns(ns.path, ['--ipv6']);
        try {
          const cfg = (await d.client.json<{ IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> } }>({ method: 'GET', path: '/networks/bridge' })).IPAM.Config[1];
          if (i === 0) first = await six();
          assert.equal(first.length, 1, `berth0's IPv6 after the first start: ${first.join(', ')}`);
          assert.match(cfg?.Subnet ?? '', /^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/);
          assert.equal(`${cfg?.Gateway}/64`, first[0], `start ${i + 1} adopts berth0's prefix`);
        } finally {
          await d.stop();
        }
      }
      assert.deepEqual(await six(), first);
    } finally {
      await removeNetns(ns);
    }
  });

  describe('a VPN route', () => {
    let ns: Awaited<ReturnType<typeof makeNetns>>;
    let d: TestDaemon;

    before(async () => {
      ns = await makeNetns();
      d = await TestDaemon.startInNetns(ns.path);
    });

    after(async () => {
      await d?.stop();
      if (ns) await removeNetns(ns);
    });

    it('that comes up over a network is warned about in info and named by network doctor', async () => {
      expectOk(await d.docker(['network', 'create', 'office']), 'network create');
      const before = expectOk(await d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'office']), 'inspect').stdout.trim();
      assert.match(before, /^172\.(1[6-9]|2\d|3[01])\./, 'from the first default pool');
      const clean = await d.berth(['network', 'doctor']);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /No problems found/);
      // The "VPN": a link whose route covers all of 172.16.0.0/12 (a veth: this kernel may lack dummy).
      await ns.ip('link', 'add', 'vpn0', 'type', 'veth', 'peer', 'name', 'vpn0-peer');
      await ns.ip('addr', 'add', '172.16.0.1/12', 'dev', 'vpn0');
      await ns.ip('link', 'set', 'vpn0-peer', 'up');
      await ns.ip('link', 'set', 'vpn0', 'up');
      await until(async () => ((await d.docker(['info', '--format', '{{json .Warnings}}'])).stdout.includes('network office') ? true : undefined), 'the overlap warning in info');
      const warnings = JSON.parse(expectOk(await d.docker(['info', '--format', '{{json .Warnings}}']), 'info').stdout) as string[];
      assert.ok(warnings.some((w) => w.includes(`network office (${before}) overlaps the host route 172.16.0.0/12 via vpn0`)), warnings.join('\n'));
      const doctor = await d.berth(['network', 'doctor']);
      assert.equal(doctor.code, 1, 'findings make the doctor exit 1');
      assert.match(doctor.stdout, new RegExp(`office \\(${before.replace(/\./g, '\\.')}\\): network office .* overlaps the host route 172\\.16\\.0\\.0/12 via vpn0`));
      assert.match(doctor.stdout, /fix: docker network rm office/);
      const json = JSON.parse((await d.berth(['network', 'doctor', '--format', 'json'])).stdout) as Array<{ Kind: string; Network: string }>;
      assert.ok(json.some((f) => f.Kind === 'route-overlap' && f.Network === 'office'));
    });

    it('makes network create pick a free pool, and refuses a subnet it covers', async () => {
      expectOk(await d.docker(['network', 'create', 'after-vpn']), 'network create');
      const subnet = expectOk(await d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'after-vpn']), 'inspect').stdout.trim();
      assert.match(subnet, /^192\.168\./, `a pool the VPN does not cover, not ${subnet}`);
      const refused = await d.docker(['network', 'create', '--subnet', '172.30.0.0/16', 'inside-vpn']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /subnet 172\.30\.0\.0\/16 overlaps the host route 172\.16\.0\.0\/12 via vpn0/);
      assert.equal((await d.docker(['network', 'inspect', 'inside-vpn'])).code, 1, 'nothing was made');
    });

    it('names a stray address on a bridge of ours', async () => {
      await ns.ip('addr', 'add', '10.99.0.1/24', 'dev', 'berth0');
      const doctor = await d.berth(['network', 'doctor']);
      assert.equal(doctor.code, 1);
      assert.match(doctor.stdout, /bridge berth0 of network bridge also has 10\.99\.0\.1\/24/);
      assert.match(doctor.stdout, /fix: ip addr del 10\.99\.0\.1\/24 dev berth0/);
    });
  });
});

describe('host.docker.internal', () => {
  let d: TestDaemon;
  let server: Server | undefined;

  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });

  after(async () => {
    server?.close();
    await d?.stop();
  });

  it('resolves to the bridge gateway in every container, where the host answers', async () => {
    const gateway = expectOk(await d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge']), 'inspect').stdout.trim();
    server = createServer((_req, res) => res.end('hello from the host'));
    await new Promise<void>((r) => server?.listen(0, gateway, r));
    const port = (server.address() as { port: number }).port;
    const got = expectOk(await d.docker(['run', '--rm', 'busybox', 'wget', '-q', '-O', '-', `http://host.docker.internal:${port}/`]), 'run wget');
    assert.equal(got.stdout, 'hello from the host');
    expectOk(await d.docker(['network', 'create', 'user-net']), 'network create');
    const onUserNet = expectOk(await d.docker(['run', '--rm', '--network', 'user-net', 'busybox', 'grep', 'host.docker.internal', '/etc/hosts']), 'run on user net');
    assert.equal(onUserNet.stdout.trim(), `${gateway}\thost.docker.internal`);
    const mine = expectOk(await d.docker(['run', '--rm', '--add-host', 'host.docker.internal:192.0.2.9', 'busybox', 'grep', 'host.docker.internal', '/etc/hosts']), 'run --add-host');
    assert.equal(mine.stdout.trim(), '192.0.2.9\thost.docker.internal', "the user's entry alone");
  });
});
