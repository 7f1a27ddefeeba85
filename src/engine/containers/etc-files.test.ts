import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerResolvConf } from './etc-files.js';

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
