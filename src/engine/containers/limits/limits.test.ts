import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, InvalidParameterError } from '../../../core/errors.js';
import type { CgroupDriver, CgroupLimits } from '../../../drivers/cgroups/cgroup-driver.js';
import type { CgroupSupport } from '../../../drivers/cgroups/cgroup-support.js';
import { capabilitiesOfMask } from '../../../drivers/host/host-security.js';
import { DEFAULT_CAPABILITIES } from '../../../oci/runtime/capabilities.js';
import { initialState, type ContainerRecord, type HostConfig } from '../container-types.js';
import { updateContainer } from './container-update.js';
import { checkResources, parseCpuList, type ResourceFields } from './resource-checks.js';
import { checkCreateHostConfig } from './create-checks.js';
import { oomVerdict } from './oom-verdict.js';
import { parseSecurityOptions } from './security-options.js';

const HOST: CgroupSupport = {
  version: 1, ncpu: 2, memoryLimit: true, swapLimit: true, memoryReservation: true, memorySwappiness: true, oomKillDisable: true,
  pidsLimit: true, cpuShares: true, cpuCfs: true, cpuRealtime: true, cpuset: true, cpus: '0-1', mems: '0', blkioWeight: false, blkioWeightDevice: false,
  blkioReadBps: true, blkioWriteBps: true, blkioReadIOps: true, blkioWriteIOps: true,
};

const refused = (r: ResourceFields, message: string | RegExp, host = HOST): void => {
  assert.throws(() => checkResources(r, host), (err: Error) => err instanceof InvalidParameterError && (typeof message === 'string' ? err.message === message : message.test(err.message)));
};

describe('checkResources (docker daemon messages)', () => {
  it('refuses what docker refuses, with its words', () => {
    refused({ Memory: 1024 }, 'Minimum memory limit allowed is 6MB');
    refused({ NanoCpus: -1e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refused({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refused({ CpusetCpus: '99' }, 'Requested CPUs are not available - requested 99, available: 0-1');
    refused({ CpusetMems: '3' }, 'Requested memory nodes are not available - requested 3, available: 0');
    refused({ CpusetCpus: '1-x' }, 'Invalid value 1-x for cpuset cpus: invalid format: 1-x');
    refused({ MemorySwap: 10 << 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
    refused({ Memory: 10 << 20, MemorySwap: 8 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
    refused({ Memory: 10 << 20, MemoryReservation: 20 << 20 }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
    refused({ NanoCpus: 5e8, CpuQuota: 1000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    refused({ CpuQuota: 500 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    refused({ CpuPeriod: 500 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refused({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
    refused({ IOMaximumIOps: 5 }, /does not support Maximum IO/);
    refused({ Memory: 1.5 }, /must be an integer/);
    refused({ CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }, 'cpu-rt-runtime cannot be higher than cpu-rt-period');
    refused({ CpuRealtimeRuntime: 1000 }, 'Your kernel does not support CPU real-time scheduler', { ...HOST, cpuRealtime: false });
  });

  it('discards what the host cannot do, with docker warnings', () => {
    const r: ResourceFields = { BlkioWeight: 500, KernelMemory: 1 << 20, OomKillDisable: true, Memory: 0 };
    const warnings = checkResources(r, { ...HOST, oomKillDisable: false });
    assert.equal(r.BlkioWeight, 0);
    assert.equal(r.KernelMemory, undefined);
    assert.equal(r.OomKillDisable, false);
    assert.ok(warnings.includes('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.'));
    assert.ok(warnings.includes('Your kernel does not support OomKillDisable. OomKillDisable discarded.'));
    assert.ok(warnings.some((w) => w.startsWith('Kernel memory limits are not supported')));
  });

  it('warns about an OOM killer turned off without a memory limit, and accepts valid limits', () => {
    assert.deepEqual(checkResources({ OomKillDisable: true }, HOST), ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
    assert.deepEqual(checkResources({ Memory: 32 << 20, MemorySwap: -1, NanoCpus: 5e8, CpusetCpus: '0,1', PidsLimit: 64 }, HOST), []);
  });

  it('parses cpuset lists', () => {
    assert.deepEqual([...parseCpuList('0-2,5')], [0, 1, 2, 5]);
    assert.throws(() => parseCpuList('2-1'));
  });
});

describe('security options', () => {
  const none = { appArmor: false, selinux: false };
  it('parses seccomp and no-new-privileges, refuses malformed profiles', () => {
    assert.deepEqual(parseSecurityOptions(['no-new-privileges', 'seccomp=unconfined'], none), { noNewPrivileges: true, seccomp: 'unconfined' });
    assert.deepEqual(parseSecurityOptions(['no-new-privileges:false'], none), { noNewPrivileges: false });
    assert.throws(() => parseSecurityOptions(['seccomp={"defaultAction":'], none), /Decoding seccomp profile failed/);
  });
  it('refuses AppArmor and SELinux options clearly on a host without them, and accepts them where the host has AppArmor', () => {
    assert.throws(() => parseSecurityOptions(['apparmor=docker-default'], none), /AppArmor is not enabled on this host/);
    assert.throws(() => parseSecurityOptions(['label=type:svirt_t'], none), /SELinux is not enabled on this host/);
    assert.deepEqual(parseSecurityOptions(['apparmor=unconfined', 'label=disable'], none), {});
    assert.deepEqual(parseSecurityOptions(['apparmor=my-profile'], { appArmor: true, selinux: false }), { apparmorProfile: 'my-profile' });
    assert.throws(() => parseSecurityOptions(['bogus=1'], none), /invalid --security-opt/);
  });
  it('reads capabilities from a CapBnd mask: docker default mask a80425fb is the default set', () => {
    assert.deepEqual(new Set(capabilitiesOfMask('00000000a80425fb')), new Set(DEFAULT_CAPABILITIES));
    const rootLacking = capabilitiesOfMask('000001fffeffffff');
    assert.equal(rootLacking.length, 40);
    assert.ok(!rootLacking.includes('CAP_SYS_RESOURCE'));
  });
});

class RecordingDriver implements CgroupDriver {
  readonly version = 1 as const;
  writes: CgroupLimits[] = [];
  update(_path: string, limits: CgroupLimits): Promise<void> {
    this.writes.push(limits);
    return Promise.resolve();
  }
  oomKills(): Promise<number> {
    return Promise.resolve(0);
  }
  memoryPeak(): Promise<number> {
    return Promise.resolve(0);
  }
  sample(): never {
    throw new Error('not used');
  }
}

function record(hc: Partial<HostConfig>, running = true): ContainerRecord {
  return {
    Id: 'c'.repeat(64),
    State: { ...initialState(), Running: running, Status: running ? 'running' : 'exited' },
    HostConfig: { Memory: 0, MemorySwap: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: null, ...hc } as HostConfig,
  } as ContainerRecord;
}

describe('updateContainer', () => {
  it('writes only the changed limits into a running container and saves the record', async () => {
    const driver = new RecordingDriver();
    const r = record({ Memory: 32 << 20, MemorySwap: 64 << 20 });
    let saved = 0;
    await updateContainer(r, { Memory: 48 << 20, PidsLimit: 10 }, { driver, support: HOST, cgroupPath: '/x', save: async () => void saved++ });
    assert.deepEqual(driver.writes, [{ memory: 48 << 20, memorySwap: 64 << 20, pidsLimit: 10 }]);
    assert.equal(r.HostConfig.Memory, 48 << 20);
    assert.equal(r.HostConfig.PidsLimit, 10);
    assert.equal(saved, 1);
  });

  it('turns --cpus into a quota over 100 ms and keeps stopped containers to the record', async () => {
    const driver = new RecordingDriver();
    await updateContainer(record({}), { NanoCpus: 5e8 }, { driver, support: HOST, cgroupPath: '/x', save: async () => undefined });
    assert.deepEqual(driver.writes, [{ cpuPeriod: 100_000, cpuQuota: 50_000 }]);
    const stopped = record({}, false);
    await updateContainer(stopped, { Memory: 64 << 20 }, { driver, support: HOST, cgroupPath: '/x', save: async () => undefined });
    assert.equal(driver.writes.length, 1);
    assert.equal(stopped.HostConfig.Memory, 64 << 20);
  });

  it('refuses conflicting updates with docker wording and changes nothing', async () => {
    const driver = new RecordingDriver();
    const r = record({ Memory: 32 << 20, MemorySwap: 64 << 20, NanoCpus: 5e8 });
    const deps = { driver, support: HOST, cgroupPath: '/x', save: async () => undefined };
    await assert.rejects(updateContainer(r, { Memory: 128 << 20 }, deps), (e: Error) => e instanceof ConflictError && /Memory limit should be smaller than already set memoryswap limit/.test(e.message));
    await assert.rejects(updateContainer(r, { CpuQuota: 20_000 }, deps), /CPU Quota cannot be updated as NanoCPUs has already been set/);
    await assert.rejects(updateContainer(r, { Memory: 1024 }, deps), /Minimum memory limit allowed is 6MB/);
    assert.equal(driver.writes.length, 0);
    assert.equal(r.HostConfig.Memory, 32 << 20);
  });
});

describe('oomVerdict', () => {
  const driver = (kills: number): CgroupDriver => ({ version: 2, update: async () => undefined, oomKills: async () => kills, memoryPeak: async () => 0, sample: () => { throw new Error('not used'); } });
  it('explains a kill with the memory limit in binary units', async () => {
    const v = await oomVerdict(driver(1), '/x', record({ Memory: 32 << 20 }, false), 137);
    assert.equal(v.oomKilled, true);
    assert.match(v.explanation, /^the container was killed by the kernel's OOM killer: it ran out of its memory limit of 32MiB \(-m\/--memory\)/);
  });
  it('names killed child processes when the main process survived, and nothing when there were no kills', async () => {
    assert.match((await oomVerdict(driver(2), '/x', record({}, false), 0)).explanation, /^2 processes of the container were killed .* the memory available to it/);
    assert.deepEqual(await oomVerdict(driver(0), '/x', record({}, false), 137), { oomKilled: false, explanation: '' });
  });
});

describe('checkCreateHostConfig', () => {
  const security = { capabilities: [...DEFAULT_CAPABILITIES], appArmor: false, selinux: false };
  it('fills docker\'s defaults for the host\'s layout', async () => {
    const v1 = { Memory: 32 << 20, PidsLimit: 0 } as unknown as HostConfig;
    await checkCreateHostConfig(v1, HOST, security);
    assert.deepEqual([v1.CgroupnsMode, v1.MemorySwap, v1.ShmSize, v1.PidsLimit, v1.BlkioDeviceReadBps], ['host', 64 << 20, 64 << 20, null, null]);
    assert.ok((v1.MaskedPaths as string[]).includes('/proc/kcore'));
    const v2 = { Memory: 0, PidsLimit: null } as unknown as HostConfig;
    await checkCreateHostConfig(v2, { ...HOST, version: 2 }, security);
    assert.equal(v2.CgroupnsMode, 'private');
    const privileged = { Memory: 0, PidsLimit: null, Privileged: true } as unknown as HostConfig;
    await checkCreateHostConfig(privileged, HOST, security);
    assert.equal(privileged.MaskedPaths, undefined);
  });
  it('refuses a capability the host lacks and a bad cgroupns mode', async () => {
    await assert.rejects(checkCreateHostConfig({ Memory: 0, PidsLimit: null, CapAdd: ['SYS_ADMIN'] } as unknown as HostConfig, HOST, security), /invalid CapAdd: capability not supported/);
    await assert.rejects(checkCreateHostConfig({ Memory: 0, PidsLimit: null, CapAdd: ['NOPE'] } as unknown as HostConfig, HOST, security), /invalid CapAdd: unknown capability: "CAP_NOPE"/);
    await assert.rejects(checkCreateHostConfig({ Memory: 0, PidsLimit: null, CgroupnsMode: 'x' } as unknown as HostConfig, HOST, security), /invalid cgroup namespace mode/);
  });
});
