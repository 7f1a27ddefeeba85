import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ipam } from './ipam.js';

const POOL = { subnet: '10.9.0.0/24', gateway: '10.9.0.1' };

async function withIpam(fn: (ipam: Ipam, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-ipam-'));
  try {
    const ipam = new Ipam(dir);
    await ipam.init();
    await fn(ipam, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an allocation is in its lease file at once, and durable() waits for its fsync', async () => {
  await withIpam(async (ipam, dir) => {
    const [a, b] = await Promise.all([ipam.allocate('n1', POOL, 'ca'), ipam.allocate('n1', POOL, 'cb')]);
    assert.deepEqual([a, b], ['10.9.0.2', '10.9.0.3']);
    const leases = JSON.parse(await readFile(join(dir, 'n1.json'), 'utf8')) as { leases: Record<string, string> };
    assert.deepEqual(leases.leases, { '10.9.0.2': 'ca', '10.9.0.3': 'cb' });
    await ipam.durable();
    assert.equal(await ipam.allocate('n1', POOL, 'ca'), '10.9.0.2', 'an owner keeps its lease');
  });
});

test('durable() does not fail for a network removed while its lease was being fsynced', async () => {
  await withIpam(async (ipam) => {
    await ipam.allocate('gone', POOL, 'c1');
    await ipam.dropNetwork('gone');
    await ipam.durable();
  });
});

test('a release is written (not fsynced) and prune drops leases of owners gone', async () => {
  await withIpam(async (ipam, dir) => {
    await ipam.allocate('n2', POOL, 'x');
    await ipam.allocate('n2', POOL, 'y');
    await ipam.release('n2', 'x');
    await ipam.prune('n2', (owner) => owner !== 'y');
    const leases = JSON.parse(await readFile(join(dir, 'n2.json'), 'utf8')) as { leases: Record<string, string> };
    assert.deepEqual(leases.leases, {});
  });
});
