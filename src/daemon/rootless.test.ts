import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRuntimeDir, isInitialUserNamespace, ROOTLESS_ENV, rootlessChildInfo, rootlessDefaults, unshareArgs } from './rootless.js';
import { findSubIdRange, nextFreeSubIdStart } from '../core/subordinate-ids.js';
import { checkResources } from '../engine/containers/limits/resource-checks.js';
import { undelegatedSupport } from '../engine/containers/limits/host-limits.js';
import type { CgroupSupport } from '../drivers/cgroups/cgroup-support.js';

describe('rootless places', () => {
  it('puts data and config in the home and the sockets and runtime state in XDG_RUNTIME_DIR; the CRI waits for --cri', () => {
    assert.deepEqual(rootlessDefaults({ home: '/home/ann', runtimeDir: '/run/user/1000' }), {
      host: 'unix:///run/user/1000/berth/berth.sock',
      dataRoot: '/home/ann/.local/share/berth',
      execRoot: '/run/user/1000/berth',
      configFile: '/home/ann/.config/berth/daemon.json',
      registryHostsDir: '/home/ann/.config/berth/certs.d',
      criSocket: '/run/user/1000/berth/cri.sock',
      cri: false,
    });
  });

  it('refuses an unset, foreign or shared XDG_RUNTIME_DIR with what to do', async () => {
    await assert.rejects(checkRuntimeDir(undefined, 1000), /needs XDG_RUNTIME_DIR .*not set: log in/);
    await assert.rejects(checkRuntimeDir('/nonexistent-hrl', 1000), /is not usable \(ENOENT\)/);
    const dir = await mkdtemp(join(tmpdir(), 'hrl-xdg-'));
    try {
      await assert.rejects(checkRuntimeDir(dir, 4242), /belongs to uid 0, not to you \(uid 4242\)/);
      assert.equal(await checkRuntimeDir(dir, 0), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the rootless child', () => {
  const env = { [ROOTLESS_ENV]: JSON.stringify({ uid: 1000, home: '/h', runtimeDir: '/r' }) };

  it('is rootless only inside a user namespace: a root berthd that inherits the variable stays root', () => {
    assert.equal(isInitialUserNamespace('         0          0 4294967295\n'), true);
    assert.equal(rootlessChildInfo(env, '         0          0 4294967295\n'), undefined);
    assert.equal(rootlessChildInfo(env, '         0       1000          1\n         1     100000      65536\n')?.uid, 1000);
    assert.equal(rootlessChildInfo({}, '         0       1000          1\n'), undefined);
  });
});

describe('subordinate IDs', () => {
  const file = 'bob:100000:65536\nann:200000:1000\nann:300000:65536\n1001:400000:70000\n';

  it('takes the first range of the user, by name or number, that holds 65,536 IDs', () => {
    assert.deepEqual(findSubIdRange(file, 'ann', 1000), { start: 300000, count: 65536 });
    assert.deepEqual(findSubIdRange(file, 'carl', 1001), { start: 400000, count: 70000 });
    assert.equal(findSubIdRange(file, 'dora', 1002), undefined);
    assert.equal(findSubIdRange('', 'ann', 1000), undefined);
  });

  it('a new range goes after every range of both files', () => {
    assert.equal(nextFreeSubIdStart(file, 'x:1000000:65536\n'), 1114112);
    assert.equal(nextFreeSubIdStart('', ''), 131072);
  });

  it('maps root to the user and 1..65536 to the range', () => {
    const args = unshareArgs({ uid: 1000, gid: 1000, user: 'ann', home: '/h', runtimeDir: '/r', subuid: { start: 300000, count: 65536 }, subgid: { start: 500000, count: 65536 } });
    assert.ok(args.includes('--map-root-user'));
    assert.ok(args.includes('--map-users=300000,1,65536'));
    assert.ok(args.includes('--map-groups=500000,1,65536'));
    for (const ns of ['--user', '--mount', '--net']) assert.ok(args.includes(ns));
  });
});

describe('limits without cgroup delegation', () => {
  const host = { version: 1, ncpu: 2, cpus: '0-1', mems: '0', memoryLimit: true, pidsLimit: true, cpuCfs: true } as unknown as CgroupSupport;

  it('discards every limit with one warning, and inspect shows them unset', () => {
    const r = { Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 1e9, PidsLimit: 10, CpusetCpus: '0' };
    const w = checkResources(r, undelegatedSupport(host));
    assert.equal(w.length, 1);
    assert.match(w[0]!, /--memory, --memory-swap, --pids-limit, --cpus, --cpuset-cpus not applied/);
    assert.deepEqual(r, { Memory: 0, MemorySwap: 0, NanoCpus: 0, PidsLimit: null, CpusetCpus: '' });
  });

  it('still refuses a value no engine takes', () => {
    assert.throws(() => checkResources({ Memory: 1024 }, undelegatedSupport(host)), /Minimum memory limit allowed is 6MB/);
  });

  it('says nothing when no limit is given', () => {
    assert.deepEqual(checkResources({ Memory: 0, PidsLimit: null }, undelegatedSupport(host)), []);
  });

  it('a root daemon\'s checks are unchanged', () => {
    assert.throws(() => checkResources({ NanoCpus: 1e9 }, { ...host, cpuCfs: false }), /NanoCPUs can not be set/);
  });
});
