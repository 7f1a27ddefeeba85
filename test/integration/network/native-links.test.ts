/**
 * The addon's rtnetlink half (native/berth-host/links.c) through host-links.ts, against real
 * namespaces: a namespace, a veth pair into it on a bridge of the test's own, the addresses,
 * routes and sysctls inside, traffic across, the failures (named, nothing left), the removal.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attachVeth, createNetns, deleteLink, deleteNetns, type VethSpec } from '../../../src/drivers/network/host-links.js';
import { ok } from '../../helpers/expect.js';
import { run } from '../../helpers/test-daemon.js';

const tag = randomBytes(3).toString('hex');
const BRIDGE = `bnet${tag}`;
const OCTET = 1 + (randomBytes(1)[0] ?? 0) % 250;
const SUBNET = `10.231.${OCTET}`;
const SUBNET6 = `fd00:b0e7:${OCTET.toString(16)}`;

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  flags?: string[];
  nodad?: boolean;
}
interface LinkRow {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  master?: string;
  addr_info?: AddrInfo[];
  linkinfo?: { info_slave_data?: { hairpin?: boolean } };
}

const inNs = async (netns: string, ...args: string[]): Promise<string> => ok(await run('nsenter', [`--net=${netns}`, ...args]), args.join(' ')).stdout;
const nsJson = async <T>(netns: string, ...args: string[]): Promise<T> => JSON.parse(await inNs(netns, 'ip', '-j', ...args)) as T;
const hostLink = async (name: string): Promise<LinkRow | undefined> => {
  const r = await run('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as LinkRow[])[0] : undefined;
};
/** How many mounts sit on `path` (a leftover namespace stacks under a new one unless unmounted). */
const mountsOn = async (path: string): Promise<number> => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.split(' ')[4] === path).length;
const threadNamespaces = async (): Promise<Set<string>> => new Set(await Promise.all((await readdir('/proc/self/task')).map((t) => readlink(`/proc/self/task/${t}/ns/net`))));

describe('rtnetlink namespaces and veth pairs (berth_host addon)', () => {
  let dir: string;
  const made: string[] = [];
  const veths: string[] = [];
  let own: string;
  before(async () => {
    own = await readlink('/proc/self/ns/net');
    dir = await mkdtemp(join(tmpdir(), 'bnet-links-'));
    ok(await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']), 'bridge');
    ok(await run('ip', ['addr', 'add', `${SUBNET}.1/24`, 'dev', BRIDGE]), 'bridge address');
    ok(await run('ip', ['addr', 'add', `${SUBNET6}::1/64`, 'dev', BRIDGE, 'nodad']), 'bridge address 6');
    ok(await run('ip', ['link', 'set', BRIDGE, 'up']), 'bridge up');
  });
  after(async () => {
    for (const v of veths) await run('ip', ['link', 'del', v]);
    for (const ns of made) await deleteNetns(ns).catch(() => undefined);
    await run('ip', ['link', 'del', BRIDGE]);
    await rm(dir, { recursive: true, force: true });
  });

  const netns = async (name: string): Promise<string> => {
    const path = join(dir, name);
    made.push(path);
    await createNetns(path);
    return path;
  };
  const spec = (netnsPath: string, n: number, more: Partial<VethSpec> = {}): VethSpec => {
    const hostName = `${BRIDGE}v${n}`;
    veths.push(hostName);
    return { netns: netnsPath, bridge: BRIDGE, hostName, ifName: 'eth0', addressCidr: `${SUBNET}.${10 + n}/24`, gateway: `${SUBNET}.1`, mac: `02:42:0a:e7:${OCTET.toString(16).padStart(2, '0')}:${(10 + n).toString(16).padStart(2, '0')}`, mtu: 1400, ...more };
  };

  test('a namespace of its own, kept by its mount; a leftover mount on the path is replaced', async () => {
    const ns = await netns('a');
    const inode = await inNs(ns, 'readlink', '/proc/self/ns/net');
    assert.notEqual(inode.trim(), own);
    assert.equal(await mountsOn(ns), 1);
    assert.match(await inNs(ns, 'ip', '-o', 'link'), /^1: lo: <LOOPBACK> /, 'a fresh namespace: only lo, down');
    await createNetns(ns);
    assert.equal(await mountsOn(ns), 1, 'the leftover was unmounted first');
    assert.notEqual((await inNs(ns, 'readlink', '/proc/self/ns/net')).trim(), inode.trim(), 'a new namespace');
    assert.deepEqual([...(await threadNamespaces())], [own], 'no thread of this process was left in the namespace');
  });

  test('a veth pair: host end on the bridge (hairpin, up), the peer configured inside; traffic crosses', async () => {
    const ns = await netns('b');
    const v = spec(ns, 1, { address6Cidr: `${SUBNET6}::11/64`, gateway6: `${SUBNET6}::1`, extraAddresses: ['169.254.7.7/16'] });
    await attachVeth(v);
    const host = await hostLink(v.hostName);
    assert.equal(host?.master, BRIDGE);
    assert.equal(host?.mtu, 1400);
    assert.ok(host?.flags?.includes('UP'), `host end up: ${host?.flags?.join(',')}`);
    assert.equal(host?.linkinfo?.info_slave_data?.hairpin, true);

    const [eth0] = await nsJson<LinkRow[]>(ns, 'addr', 'show', 'dev', 'eth0');
    assert.equal(eth0?.address, v.mac);
    assert.equal(eth0?.mtu, 1400);
    assert.ok(eth0?.flags?.includes('UP'));
    const addrs = (eth0?.addr_info ?? []).filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual(addrs.sort(), [v.addressCidr, '169.254.7.7/16', `${SUBNET6}::11/64`].sort());
    const v6 = eth0?.addr_info?.find((a) => a.local === `${SUBNET6}::11`);
    assert.ok(v6?.nodad ?? v6?.flags?.includes('nodad'), `IPv6 without duplicate detection: ${JSON.stringify(v6)}`);
    assert.equal((await inNs(ns, 'cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6', '/proc/sys/net/ipv6/conf/eth0/accept_dad')).split(/\s+/).join(''), '00');
    const [lo] = await nsJson<LinkRow[]>(ns, 'link', 'show', 'dev', 'lo');
    assert.ok(lo?.flags?.includes('UP'), 'lo up');
    assert.match(await inNs(ns, 'ip', '-4', 'route', 'show', 'default'), new RegExp(`default via ${SUBNET}\\.1 dev eth0`));
    assert.match(await inNs(ns, 'ip', '-6', 'route', 'show', 'default'), new RegExp(`default via ${SUBNET6}::1 dev eth0`));

    // Both ways across the bridge: the namespace fetches from a server on the bridge's address.
    const server: Server = createServer((_req, res) => res.end('across'));
    await new Promise<void>((resolve) => server.listen(0, `${SUBNET}.1`, resolve));
    try {
      const port = (server.address() as { port: number }).port;
      assert.equal(await inNs(ns, 'curl', '-s', '--max-time', '5', `http://${SUBNET}.1:${port}/`), 'across');
    } finally {
      server.close();
    }
    assert.deepEqual([...(await threadNamespaces())], [own], 'no thread of this process was left in the namespace');

    await deleteLink(v.hostName);
    assert.equal(await hostLink(v.hostName), undefined);
    assert.doesNotMatch(await inNs(ns, 'ip', '-o', 'link'), /eth0/, 'the peer went with it');
    await deleteLink(v.hostName); // already gone: no error
  });

  test('a second interface (ethN) beside the first, without a gateway', async () => {
    const ns = await netns('c');
    await attachVeth(spec(ns, 2));
    await attachVeth(spec(ns, 3, { ifName: 'eth1', gateway: undefined }));
    const names = (await nsJson<LinkRow[]>(ns, 'link', 'show')).map((l) => l.ifname).sort();
    assert.deepEqual(names, ['eth0', 'eth1', 'lo']);
    assert.equal((await inNs(ns, 'ip', '-4', 'route', 'show', 'default')).trim().split('\n').length, 1);
  });

  test('a failure names its step and leaves no half-made pair', async () => {
    const ns = await netns('d');
    const dup = spec(ns, 4, { extraAddresses: [`${SUBNET}.14/24`] });
    await assert.rejects(attachVeth(dup), (err: Error) => {
      assert.match(err.message, new RegExp(`adding address ${SUBNET}\\.14/24 to eth0 in ${ns}: File exists`));
      return true;
    });
    assert.equal(await hostLink(dup.hostName), undefined, 'the host end was deleted');
    assert.doesNotMatch(await inNs(ns, 'ip', '-o', 'link'), /eth0/, 'and the peer with it');

    const unreachable = spec(ns, 5, { gateway: '10.231.255.254' });
    await assert.rejects(attachVeth(unreachable), /adding the default route via 10\.231\.255\.254 in .*: Network is unreachable/);
    assert.equal(await hostLink(unreachable.hostName), undefined);

    await assert.rejects(attachVeth(spec(ns, 6, { bridge: `${BRIDGE}x` })), /finding bridge bnet\w+x: No such device/);
    await assert.rejects(attachVeth(spec(join(dir, 'missing'), 7)), /opening the network namespace .*missing: No such file or directory/);
    await assert.rejects(attachVeth(spec(ns, 8, { addressCidr: '10.231.0.300/24' })), /invalid addressCidr/);
    assert.deepEqual([...(await threadNamespaces())], [own]);
  });
});
