import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { BUILDX_PLUGIN, requireTool, startOutsideTarget, type OutsideTarget } from '../../helpers/outside-tools.js';

interface Df {
  LayersSize: number;
  Containers: Array<{ SizeRw?: number }>;
  Volumes: Array<{ UsageData: { Size: number } }>;
  BuildCache: Array<Record<string, unknown> & { Size: number; Shared: boolean; InUse: boolean; Type: string }>;
}

const KEYS = ['CreatedAt', 'Description', 'ID', 'InUse', 'LastUsedAt', 'Parent', 'Parents', 'Shared', 'Size', 'Type', 'UsageCount'];
const own = (df: Df): number => df.BuildCache.filter((c) => !c.Shared).reduce((s, c) => s + c.Size, 0);

/** Dockerfiles whose steps each add `mb` MB of random data (untagged builds: all of it is cache). */
async function context(dir: string, tag: string, steps: number, mb: number, mount = false): Promise<string> {
  const ctx = join(dir, tag);
  await mkdir(ctx, { recursive: true });
  const runs = Array.from({ length: steps }, (_, i) => `RUN head -c ${mb * 1_000_000} /dev/urandom > /${tag}-${i}\n`).join('');
  await writeFile(join(ctx, 'Dockerfile'), `FROM busybox\n${mount ? 'RUN --mount=type=cache,target=/c head -c 2000000 /dev/urandom > /c/data\n' : ''}${runs}`);
  return ctx;
}

describe('system df shows the build cache; builder prune --keep-storage and --filter until', () => {
  let d: TestDaemon;
  const df = async (): Promise<Df> => (await d.client.json<Df>({ method: 'GET', path: '/system/df' }));
  const classic = { env: { DOCKER_BUILDKIT: '0' } };

  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  test('the build cache in docker\'s shape, with real numbers in both CLIs; totals match du -sb within 5 %', async (t) => {
    ok(await d.docker(['build', '-q', await context(d.root, 'steps', 3, 3, true)], classic), 'untagged build');
    ok(await d.docker(['build', '-q', '-t', 'tagged', await context(d.root, 'tagged', 1, 2)], classic), 'tagged build');
    ok(await d.docker(['volume', 'create', 'v1']), 'volume');
    ok(await d.docker(['run', '--name', 'dfw', '-v', 'v1:/v', 'busybox', 'sh', '-c', 'head -c 1000000 /dev/urandom > /v/f; head -c 500000 /dev/urandom > /f']), 'run');
    const usage = await df();
    assert.ok(usage.BuildCache.length >= 4, JSON.stringify(usage.BuildCache));
    for (const c of usage.BuildCache) assert.deepEqual(Object.keys(c).sort(), KEYS);
    assert.ok(usage.BuildCache.some((c) => c.Type === 'exec.cachemount' && c.Size >= 2_000_000));
    assert.ok(usage.BuildCache.some((c) => c.Type === 'regular' && c.Shared), 'the tagged build\'s step is shared');
    assert.ok(own(usage) > 18_000_000, `cache of its own: ${own(usage)}`);
    const total = usage.LayersSize + usage.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0) + usage.Volumes.reduce((s, v) => s + v.UsageData.Size, 0) + own(usage);
    const du = Number(ok(await run('du', ['-sb', d.dataRoot]), 'du').stdout.split('\t')[0]);
    t.diagnostic(`system df total ${total} B, du -sb ${du} B (${((100 * (total - du)) / du).toFixed(2)} %)`);
    assert.ok(Math.abs(total - du) / du < 0.05, `system df adds up to ${total}, du -sb says ${du}`);
    for (const cli of ['docker', 'berth'] as const) {
      const out = ok(await (cli === 'docker' ? d.docker(['system', 'df']) : d.berth(['system', 'df'])), `${cli} system df`).stdout;
      assert.match(out, new RegExp(`\\nBuild Cache\\s+${usage.BuildCache.length}\\s+0\\s+(\\d+(\\.\\d+)?MB)\\s+\\1\\s*\\n`), out);
      const verbose = ok(await (cli === 'docker' ? d.docker(['system', 'df', '-v']) : d.berth(['system', 'df', '-v'])), `${cli} system df -v`).stdout;
      assert.match(verbose, /Build cache usage: \d+(\.\d+)?MB/, verbose);
      assert.match(verbose, /^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/m, verbose);
      assert.match(verbose, /^[0-9a-z]{12,25}\s+exec\.cachemount\s+2MB\s/m, verbose);
    }
    ok(await d.docker(['rm', 'dfw']), 'rm');
  });

  test('docker builder prune --filter until keeps what is newer; --keep-storage 10MB leaves at most 10MB', async () => {
    const before = own(await df());
    const recent = ok(await d.docker(['builder', 'prune', '-f', '--filter', 'until=1h']), 'prune until=1h').stdout;
    assert.match(recent, /Total reclaimed space: 0B/, recent);
    assert.equal(own(await df()), before);
    const keep = ok(await d.docker(['builder', 'prune', '-f', '--keep-storage', '10MB']), 'prune --keep-storage').stdout;
    assert.match(keep, /Total reclaimed space: \d+(\.\d+)?MB/, keep);
    const left = own(await df());
    assert.ok(left <= 10 * 1024 * 1024 && left > 0, `left ${left} of ${before}`);
    await sleep(1500);
    ok(await d.docker(['builder', 'prune', '-f', '--filter', 'until=1s']), 'prune until=1s');
    assert.equal(own(await df()), 0);
    assert.equal((await d.docker(['image', 'inspect', 'tagged'])).code, 0, 'a tagged image is never build cache to prune');
  });
});

describe('buildx prune --keep-storage and --filter until (BuildKit Control.Prune)', () => {
  let t: OutsideTarget;
  before(async () => {
    requireTool(BUILDX_PLUGIN);
    t = await startOutsideTarget({ buildkit: true });
  });
  after(async () => {
    await t?.stop();
  });

  test('prune keeps the newest records within --keep-storage, and what is newer than until', async () => {
    ok(await t.docker(['buildx', 'build', '--progress=plain', await context(t.scratch, 'bx', 3, 3)]), 'buildx build');
    const total = async (): Promise<number> => {
      const out = ok(await t.docker(['buildx', 'du', '--verbose']), 'du').stdout;
      return [...out.matchAll(/^Size:\s+([\d.]+)(B|kB|MB)$/gm)].reduce((s, m) => s + Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6 }[m[2] as 'B' | 'kB' | 'MB'], 0);
    };
    assert.ok((await total()) > 12e6, 'the build left cache');
    ok(await t.docker(['buildx', 'prune', '-f', '--filter', 'until=1h']), 'prune until=1h');
    assert.ok((await total()) > 12e6, 'until=1h keeps a fresh cache');
    const pruned = ok(await t.docker(['buildx', 'prune', '-f', '--keep-storage', '8mb']), 'prune --keep-storage').stdout;
    assert.match(pruned, /^Total:\s+\S+/m, pruned);
    const left = await total();
    assert.ok(left <= 8 * 1024 * 1024, `left ${left}`);
  });
});
