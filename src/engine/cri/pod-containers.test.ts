import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resourceFields } from './pod-containers.js';

describe('CRI resources as docker HostConfig fields', () => {
  it('map each set field, int64 strings included, and leave zeros out', () => {
    assert.deepEqual(resourceFields({ cpu_period: '100000', cpu_quota: '50000', cpu_shares: 512, memory_limit_in_bytes: '67108864', memory_swap_limit_in_bytes: '0', cpuset_cpus: '0', cpuset_mems: '' }), {
      CpuPeriod: 100000,
      CpuQuota: 50000,
      CpuShares: 512,
      Memory: 67108864,
      CpusetCpus: '0',
    });
    assert.deepEqual(resourceFields(null), {});
  });
});
