import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { readAll, type RequestSpec } from '../../../src/client/engine-client.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

type Op = 'create' | 'start' | 'stop' | 'rm' | 'commit' | 'tag' | 'volume-create' | 'volume-rm' | 'load';
const OPS: Op[] = ['create', 'start', 'stop', 'rm', 'commit', 'tag', 'volume-create', 'volume-rm', 'load'];
const ROUNDS = 12; // × 9 operations = 108 kills

/** Every JSON record the daemon keeps must parse: a crash may never leave a torn one. */
async function corruptRecords(dataRoot: string): Promise<string[]> {
  const bad: string[] = [];
  const check = async (path: string): Promise<void> => {
    try {
      JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad.push(`${path}: ${(err as Error).message}`);
    }
  };
  for (const id of await readdir(join(dataRoot, 'containers')).catch(() => [])) await check(join(dataRoot, 'containers', id, 'container.json'));
  for (const f of await readdir(join(dataRoot, 'image/images')).catch(() => [])) if (f.endsWith('.json')) await check(join(dataRoot, 'image/images', f));
  await check(join(dataRoot, 'image/repositories.json'));
  for (const v of await readdir(join(dataRoot, 'volumes')).catch(() => [])) if (!v.startsWith('.')) await check(join(dataRoot, 'volumes', v, 'volume.json'));
  return bad;
}

describe('crash injection: SIGKILL of berthd during every kind of operation', () => {
  let d: TestDaemon;
  let tarPath: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    ok(await d.docker(['run', '--name', 'base', 'busybox', 'sh', '-c', 'echo layer > /made']), 'base container');
    ok(await d.docker(['commit', 'base', 'ldimg:1']), 'commit for load');
    tarPath = join(d.root, 'ldimg.tar');
    ok(await d.docker(['save', '-o', tarPath, 'ldimg:1']), 'save');
  });
  after(async () => {
    await d?.stop();
  });

  test(`${ROUNDS * OPS.length} kills across create, start, stop, rm, commit, tag, volume create/rm and load`, async () => {
    const c = d.client;
    const call = async (spec: RequestSpec): Promise<string> => (await readAll(await c.raw(spec))).toString('utf8');
    const mk = async (name: string, start: boolean): Promise<string> => {
      const { Id } = JSON.parse(await call({ method: 'POST', path: '/containers/create', query: { name }, body: { Image: 'busybox', Cmd: ['sleep', '300'] } })) as { Id: string };
      if (start) await call({ method: 'POST', path: `/containers/${Id}/start` });
      return Id;
    };
    const expectContainers = new Map<string, boolean>();
    const expectRunning = new Map<string, boolean>();
    const expectImages = new Map<string, boolean>();
    const expectVolumes = new Map<string, boolean>();
    let acked = 0;
    const problems: string[] = [];
    for (let i = 0; i < ROUNDS * OPS.length; i++) {
      const op = OPS[i % OPS.length] as Op;
      const name = `k${i}`;
      // Set-up outside the crash window (acknowledged before it opens).
      let target = '';
      if (op === 'start') target = await mk(name, false);
      if (op === 'stop' || op === 'rm') target = await mk(name, true);
      if (op === 'commit') target = await mk(name, false);
      if (op === 'volume-rm') await call({ method: 'POST', path: '/volumes/create', body: { Name: name } });
      if (op === 'load') await call({ method: 'DELETE', path: '/images/ldimg:1' }).catch(() => undefined);
      const window: Record<Op, () => Promise<unknown>> = {
        create: () => mk(name, false),
        start: () => call({ method: 'POST', path: `/containers/${target}/start` }),
        stop: () => call({ method: 'POST', path: `/containers/${target}/stop`, query: { t: 1 } }),
        rm: () => call({ method: 'DELETE', path: `/containers/${target}`, query: { force: true, v: true } }),
        commit: () => call({ method: 'POST', path: '/commit', query: { container: target, repo: 'cm', tag: name } }),
        tag: () => call({ method: 'POST', path: '/images/busybox/tag', query: { repo: 'tg', tag: name } }),
        'volume-create': () => call({ method: 'POST', path: '/volumes/create', body: { Name: name } }),
        'volume-rm': () => call({ method: 'DELETE', path: `/volumes/${name}` }),
        load: () => call({ method: 'POST', path: '/images/load', query: { quiet: true }, stream: createReadStream(tarPath), headers: { 'Content-Type': 'application/x-tar' } }),
      };
      let done = false;
      const inFlight = window[op]().then(() => (done = true), () => undefined);
      // Kill points spread over the operation: from "just sent" to "probably finished".
      await new Promise((r) => setTimeout(r, (i * 37) % 260));
      await d.halt('SIGKILL');
      await inFlight;
      if (done) {
        acked++;
        if (op === 'create') expectContainers.set(name, true);
        if (op === 'start') expectRunning.set(name, true);
        if (op === 'stop') expectRunning.set(name, false);
        if (op === 'rm') expectContainers.set(name, false);
        if (op === 'commit') expectImages.set(`cm:${name}`, true);
        if (op === 'tag') expectImages.set(`tg:${name}`, true);
        if (op === 'volume-create') expectVolumes.set(name, true);
        if (op === 'volume-rm') expectVolumes.set(name, false);
        if (op === 'load') expectImages.set('ldimg:1', true);
      }
      await d.launch();
      problems.push(...(await corruptRecords(d.dataRoot)).map((p) => `round ${i} (${op}): corrupt ${p}`));
      // Acknowledged work is there (or gone, for removals).
      const all = JSON.parse(await call({ method: 'GET', path: '/containers/json', query: { all: true } })) as Array<{ Names: string[]; State: string; Id: string }>;
      const byName = new Map(all.map((x) => [x.Names[0]?.slice(1) ?? '', x]));
      if (expectContainers.get(name) === true && !byName.has(name)) problems.push(`round ${i}: acknowledged container ${name} lost`);
      if (expectContainers.get(name) === false && byName.has(name)) problems.push(`round ${i}: removed container ${name} is back`);
      if (expectRunning.has(name) && (byName.get(name)?.State === 'running') !== expectRunning.get(name)) problems.push(`round ${i}: ${name} should be ${expectRunning.get(name) ? 'running' : 'stopped'}, is ${byName.get(name)?.State}`);
      const images = JSON.parse(await call({ method: 'GET', path: '/images/json' })) as Array<{ RepoTags: string[] | null }>;
      const tags = new Set(images.flatMap((x) => x.RepoTags ?? []));
      for (const [ref, present] of expectImages) if (ref !== 'ldimg:1' && tags.has(ref) !== present) problems.push(`round ${i}: image ${ref} ${present ? 'lost' : 'back'}`);
      if (expectImages.get('ldimg:1') && op === 'load' && done && !tags.has('ldimg:1')) problems.push(`round ${i}: loaded image lost`);
      const volumes = new Set((JSON.parse(await call({ method: 'GET', path: '/volumes' })) as { Volumes: Array<{ Name: string }> }).Volumes.map((v) => v.Name));
      for (const [v, present] of expectVolumes) if (volumes.has(v) !== present) problems.push(`round ${i}: volume ${v} ${present ? 'lost' : 'back'}`);
      // Nothing half-made is left: no container directory without a record, no mount of a stopped container.
      const dirs = (await readdir(join(d.dataRoot, 'containers'))).filter((x) => /^[0-9a-f]{64}$/.test(x));
      if (dirs.length !== all.length) problems.push(`round ${i}: ${dirs.length} container dirs for ${all.length} containers`);
      const running = new Set(all.filter((x) => x.State === 'running').map((x) => x.Id));
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(`${d.dataRoot}/overlay2/containers/`));
      for (const m of mounts) {
        const id = /overlay2\/containers\/([0-9a-f]{64})\/merged/.exec(m)?.[1];
        if (id && !running.has(id)) problems.push(`round ${i} (${op}): leftover mount of ${id.slice(0, 12)}`);
      }
      // Clean up this round's container so the host does not fill with sleepers.
      if (byName.has(name)) await call({ method: 'DELETE', path: `/containers/${byName.get(name)?.Id}`, query: { force: true } });
      if (expectContainers.has(name)) expectContainers.delete(name);
      expectRunning.delete(name);
    }
    await writeFile(join(d.root, 'crash-report.txt'), problems.join('\n'));
    console.log(`crash injection: ${ROUNDS * OPS.length} kills, ${acked} operations acknowledged before the kill, ${problems.length} problems`);
    assert.deepEqual(problems, []);
  });
});
