import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerResolvConf, writeEtcFiles } from './etc-files.js';

describe('containerResolvConf', () => {
  it('drops loopback resolvers, falls back to public ones, applies --dns*, puts the embedded DNS first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-resolv-'));
    try {
      const path = join(dir, 'resolv.conf');
      await writeFile(path, 'nameserver 127.0.0.1\nsearch lan\noptions edns0\n');
      assert.equal(await containerResolvConf(path), 'search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n');
      assert.equal(await containerResolvConf(path, { dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:3'] }), 'search a.example\nnameserver 1.1.1.1\noptions ndots:3\n');
      assert.equal(await containerResolvConf(path, { embeddedDns: ['10.9.0.1'] }), 'search lan\nnameserver 10.9.0.1\noptions edns0\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('/etc/hosts', () => {
  const hostsOf = async (opts: Partial<Parameters<typeof writeEtcFiles>[1]>): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-hosts-'));
    try {
      const files = await writeEtcFiles(dir, { hostname: 'c1', domainname: '', extraHosts: [], hostNetwork: false, addresses: ['10.9.0.2'], hostGateway: '10.9.0.1', ...opts });
      return await readFile(files.hosts, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('names the host host.docker.internal (the bridge gateway), before the container itself', async () => {
    const hosts = await hostsOf({});
    assert.match(hosts, /^10\.9\.0\.1\thost\.docker\.internal\n10\.9\.0\.2\tc1\n$/m);
  });

  it("leaves the name to the user's --add-host, and out without a bridge", async () => {
    const mine = await hostsOf({ extraHosts: ['host.docker.internal:192.0.2.7'] });
    assert.deepEqual(mine.split('\n').filter((l) => l.includes('host.docker.internal')), ['192.0.2.7\thost.docker.internal']);
    const gatewayAlias = await hostsOf({ extraHosts: ['host.docker.internal:host-gateway'] });
    assert.deepEqual(gatewayAlias.split('\n').filter((l) => l.includes('host.docker.internal')), ['10.9.0.1\thost.docker.internal']);
    assert.doesNotMatch(await hostsOf({ hostGateway: '127.0.0.1' }), /host\.docker\.internal/, '-b none: no bridge to name');
  });
});

describe('/etc/hosts own entry', () => {
  it('names the container by its addresses only, and by 127.0.1.1 only without one (network none)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-hosts-'));
    try {
      const base = { hostname: 'c1', domainname: '', extraHosts: [], hostNetwork: false };
      const own = async (opts: Partial<Parameters<typeof writeEtcFiles>[1]>): Promise<string[]> =>
        (await readFile((await writeEtcFiles(dir, { ...base, ...opts })).hosts, 'utf8')).split('\n').filter((l) => l.endsWith('\tc1'));
      assert.deepEqual(await own({ addresses: ['10.9.0.2'] }), ['10.9.0.2\tc1']);
      assert.deepEqual(await own({ addresses: ['10.9.0.2'], address6: 'fd00::2' }), ['10.9.0.2\tc1', 'fd00::2\tc1']);
      assert.deepEqual(await own({}), ['127.0.1.1\tc1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
