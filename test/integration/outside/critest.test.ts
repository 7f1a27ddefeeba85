import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryProcess } from '../../helpers/registry-process.js';
import { run } from '../../helpers/test-daemon.js';
import { runCritest, serveIn, SKIPPED_SPECS, standInRegistry, startBerth, startContainerd, type SpecResult } from '../../outside/critest.js';

/**
 * cri-tools' critest (v1.37.0, built from the Go module proxy), unchanged, with
 * `-ginkgo.focus=Conformance`: against Debian's containerd 1.6 as the reference, then against
 * berthd. Each engine runs in a network namespace of its own with critest and the registry of
 * stand-in images beside it (test/outside/critest.ts). Berth must pass every conformance spec
 * but the digest-pinned one, and at least every spec containerd passes.
 */
describe('critest conformance (cri-tools v1.37.0)', () => {
  let registry: RegistryProcess;
  let dir: string;
  let reference: Map<string, SpecResult> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-critest-'));
    registry = await standInRegistry();
  });

  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A namespace for one engine, with the registry serving in it. */
  const lab = async (name: string): Promise<string> => {
    const netns = join(dir, name);
    await serveIn(registry, netns);
    return netns;
  };

  const summary = (results: Map<string, SpecResult>): string =>
    [...results].filter(([, r]) => r.state !== 'passed' && r.state !== 'skipped').map(([n, r]) => `${n}: ${r.state}\n  ${r.message ?? ''}`).join('\n');

  test('containerd 1.6, the reference', async () => {
    const netns = await lab('containerd');
    try {
      const c = await startContainerd(registry.host, netns);
      try {
        const { results } = await runCritest({ endpoint: c.endpoint, netns, focus: 'Conformance' });
        reference = results;
        const passed = [...results.values()].filter((r) => r.state === 'passed').length;
        // The reference is recorded, not judged; it must have run for the comparison to mean anything.
        assert.ok(passed >= 40, `containerd passed only ${passed} conformance specs:\n${summary(results)}`);
      } finally {
        await c.stop();
      }
      // What containerd made in the host's cgroup hierarchies went with it.
      assert.deepEqual((c.cgroupRoots ?? []).filter((p) => existsSync(p)), []);
    } finally {
      await run('umount', ['-l', netns]);
    }
  });

  test('berthd: every conformance spec passes (but the digest-pinned one), and every spec containerd passes', async () => {
    const netns = await lab('berth');
    try {
      const b = await startBerth(registry.host, netns);
      try {
        const { results } = await runCritest({ endpoint: b.endpoint, netns, focus: 'Conformance' });
        const failed = [...results].filter(([, r]) => r.state !== 'passed' && r.state !== 'skipped');
        assert.deepEqual(failed.map(([n]) => n), [], summary(results));
        for (const [name, r] of reference ?? []) {
          if (r.state === 'passed') assert.equal(results.get(name)?.state, 'passed', `containerd passes "${name}"`);
        }
        for (const name of Object.keys(SKIPPED_SPECS)) {
          const spec = [...results.keys()].find((n) => n.includes(name));
          assert.equal(spec && results.get(spec)?.state, 'skipped', `${name} is skipped by name`);
        }
      } finally {
        await b.stop();
      }
    } finally {
      await run('umount', ['-l', netns]);
    }
  });
});
