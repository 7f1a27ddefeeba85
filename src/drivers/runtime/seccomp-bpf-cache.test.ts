import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECCOMP_BPF_ANNOTATION, SeccompBpfCache } from './seccomp-bpf-cache.js';

test('a filter crun compiled is handed back for the same profile only', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bpf-cache-'));
  try {
    const cache = new SeccompBpfCache();
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    assert.deepEqual(cache.annotationFor(profile), {}, 'nothing before a create');
    assert.deepEqual(cache.annotationFor(undefined), {});
    const bpf = Buffer.alloc(16, 7);
    await mkdir(join(root, 'c1'));
    await writeFile(join(root, 'c1', 'seccomp.bpf'), bpf);
    await cache.learn(root, 'c1', profile);
    assert.deepEqual(cache.annotationFor(structuredClone(profile)), { [SECCOMP_BPF_ANNOTATION]: bpf.toString('base64') });
    assert.deepEqual(cache.annotationFor({ ...profile, defaultAction: 'SCMP_ACT_KILL' }), {}, 'another profile compiles afresh');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a missing, empty or ragged filter file is not kept', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bpf-cache-'));
  try {
    const cache = new SeccompBpfCache();
    const profile = { defaultAction: 'SCMP_ACT_ERRNO' };
    await cache.learn(root, 'gone', profile);
    await mkdir(join(root, 'c2'));
    await writeFile(join(root, 'c2', 'seccomp.bpf'), Buffer.alloc(0));
    await cache.learn(root, 'c2', profile);
    await writeFile(join(root, 'c2', 'seccomp.bpf'), Buffer.alloc(12));
    await cache.learn(root, 'c2', profile);
    assert.deepEqual(cache.annotationFor(profile), {});
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
