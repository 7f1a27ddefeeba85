import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../core/errors.js';
import { runtimeSpecToJson } from './spec-json.js';
import { buildResources, buildRlimits, parseDeviceCgroupRule } from './spec-resources.js';
import { buildRuntimeSpec } from './build-spec.js';

describe('buildResources', () => {
  it('writes only the limits that are set', () => {
    const r = buildResources({}, false, []);
    assert.deepEqual(Object.keys(r), ['devices']);
  });

  it('maps memory, cpu, pids and blkio fields like docker', () => {
    const r = buildResources(
      {
        memory: 256 * 1024 * 1024,
        memorySwap: 512 * 1024 * 1024,
        memoryReservation: 128 * 1024 * 1024,
        memorySwappiness: 10,
        cpuShares: 512,
        cpuQuota: 50000,
        cpuPeriod: 100000,
        cpusetCpus: '0-1',
        cpusetMems: '0',
        pidsLimit: 100,
        blkioWeight: 300,
      },
      false,
      [],
    );
    assert.deepEqual(r.memory, { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 10 });
    assert.deepEqual(r.cpu, { shares: 512, cpus: '0-1', mems: '0', period: 100000, quota: 50000 });
    assert.deepEqual(r.pids, { limit: 100 });
    assert.deepEqual(r.blockIO, { weight: 300 });
  });

  it('turns --cpus into a quota over a 100ms period, leaves unlimited swap out, lifts pids limit with -1', () => {
    const r = buildResources(
      { nanoCpus: 1_500_000_000, memory: 6 * 1024 * 1024, memorySwap: -1, pidsLimit: 0 },
      false,
      [],
    );
    assert.deepEqual(r.cpu, { period: 100000, quota: 150000 });
    assert.deepEqual(r.memory, { limit: 6291456 });
    assert.deepEqual(r.pids, { limit: -1 });
  });

  it('refuses negative CPU shares', () => {
    assert.throws(() => buildResources({ cpuShares: -2 }, false, []), InvalidParameterError);
  });

  it('appends --device-cgroup-rule rules, and allows every device when privileged', () => {
    const rule = parseDeviceCgroupRule('c 42:* rmw');
    assert.deepEqual(rule, { allow: true, type: 'c', major: 42, minor: -1, access: 'rmw' });
    assert.throws(() => parseDeviceCgroupRule('x 1:2 r'), /invalid device cgroup rule format: 'x 1:2 r'/);
    const r = buildResources({}, false, ['b 8:0 r']);
    assert.deepEqual(r.devices?.at(-1), { allow: true, type: 'b', major: 8, minor: 0, access: 'r' });
    assert.deepEqual(buildResources({}, true, ['b 8:0 r']).devices, [{ allow: true, access: 'rwm' }]);
  });
});

describe('buildRlimits', () => {
  it('names rlimits RLIMIT_<NAME> in the order given', () => {
    assert.deepEqual(
      buildRlimits([
        { name: 'nofile', soft: 1024, hard: 2048 },
        { name: 'nproc', soft: 10, hard: 10 },
      ]),
      [
        { type: 'RLIMIT_NOFILE', hard: 2048, soft: 1024 },
        { type: 'RLIMIT_NPROC', hard: 10, soft: 10 },
      ],
    );
  });

  it('writes -1 as RLIM_INFINITY, exactly, in config.json', () => {
    const spec = buildRuntimeSpec({
      rootfsPath: '/rootfs',
      args: ['sh'],
      user: { uid: 0, gid: 0 },
      ulimits: [{ name: 'core', soft: -1, hard: -1 }],
    });
    const max = 18446744073709551615n;
    assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_CORE', hard: max, soft: max }]);
    const json = runtimeSpecToJson(spec);
    assert.ok(json.includes(`"rlimits":[{"type":"RLIMIT_CORE","hard":${max},"soft":${max}}]`), json);
  });

  it('refuses unknown names and soft above hard', () => {
    assert.throws(() => buildRlimits([{ name: 'bogus', soft: 1, hard: 1 }]), /invalid ulimit type: bogus/);
    assert.throws(
      () => buildRlimits([{ name: 'nofile', soft: 10, hard: 5 }]),
      /ulimit soft limit must be less than or equal to hard limit: 10 > 5/,
    );
  });
});
