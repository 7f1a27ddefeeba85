import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, readAll, type RequestSpec } from '../../../src/client/engine-client.js';
import { TestDaemon } from '../../helpers/test-daemon.js';

const ROUNDS = 24;
const AUTO_ROUNDS = 16;

describe('crash safety of removed containers\' records', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  test(`${ROUNDS} kills of berthd during rm: a container is either still there or its record and destroy event are`, async () => {
    const call = async (spec: RequestSpec): Promise<string> => (await readAll(await d.client.raw(spec))).toString('utf8');
    const status = (spec: RequestSpec): Promise<number> => call(spec).then(() => 200, (err: unknown) => (err instanceof ApiError ? err.status : 0));
    const since = Math.floor(Date.now() / 1000) - 5;
    const problems: string[] = [];
    let acked = 0;
    let removed = 0;
    let finishedAtStart = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const running = i % 2 === 0;
      const { Id } = JSON.parse(await call({ method: 'POST', path: '/containers/create', query: { name: `k${i}` }, body: { Image: 'busybox', Cmd: ['sh', '-c', `echo words of k${i}; ${running ? 'sleep 300' : 'exit 3'}`] } })) as { Id: string };
      await call({ method: 'POST', path: `/containers/${Id}/start` });
      if (!running) await call({ method: 'POST', path: `/containers/${Id}/wait` });
      else while (!(await call({ method: 'GET', path: `/containers/${Id}/logs`, query: { stdout: true } })).includes('words')) await new Promise((r) => setTimeout(r, 20));
      let done = false;
      const inFlight = call({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } }).then(() => (done = true), () => undefined);
      // Kill points spread from "just sent" to "probably finished" (a removal takes tens of ms).
      await new Promise((r) => setTimeout(r, (i * 11) % 120));
      await d.halt('SIGKILL');
      await inFlight;
      if (done) acked++;
      await d.launch();
      const live = await status({ method: 'GET', path: `/containers/${Id}/json` });
      if (done && live !== 404) problems.push(`round ${i}: acknowledged removal of k${i} undone (${live})`);
      if (live === 200) {
        // Not removed: nothing is owed; remove it now, which must keep its record too.
        await call({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } });
      } else {
        removed++;
        if (!done) finishedAtStart++;
      }
      const record = await call({ method: 'GET', path: `/berth/v1/removed/${Id}` }).then((t) => JSON.parse(t) as { ExitCode: number | null }, () => undefined);
      if (!record) {
        problems.push(`round ${i}: k${i} is gone but no record was kept`);
        continue;
      }
      const logs = await call({ method: 'GET', path: `/berth/v1/removed/${Id}/logs`, query: { stdout: true } });
      if (!logs.includes(`words of k${i}`)) problems.push(`round ${i}: the kept log of k${i} lacks its words`);
      if (!running && record.ExitCode !== 3) problems.push(`round ${i}: k${i} kept exit code ${record.ExitCode}, not 3`);
      const events = await call({ method: 'GET', path: '/events', query: { since: String(since), until: String(Math.ceil(Date.now() / 1000)), filters: JSON.stringify({ container: [Id] }) } });
      const actions = events.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
      if (!actions.includes('destroy')) problems.push(`round ${i}: no destroy event for k${i} in the journal (${actions.join(',')})`);
      if (!actions.includes('die')) problems.push(`round ${i}: no die event for k${i} in the journal (${actions.join(',')})`);
    }
    // No torn record: every kept record parses, and no directory lacks one.
    const root = join(d.dataRoot, 'removed');
    for (const id of await readdir(root)) {
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      await readFile(join(root, id, 'record.json'), 'utf8').then((t) => JSON.parse(t), (err: unknown) => problems.push(`record ${id.slice(0, 12)}: ${(err as Error).message}`));
    }
    console.log(`removed-record crash injection: ${ROUNDS} kills, ${acked} removals acknowledged, ${removed} gone after the restart (${finishedAtStart} of them unacknowledged: cut mid-way and finished at start), ${problems.length} problems`);
    assert.deepEqual(problems, []);
  });

  // An --rm container's files go beside its kept record (container-service.ts `remove`): a kill
  // anywhere in its exit and removal must still leave it removed after the restart, with its
  // exit code and last words kept.
  test(`${AUTO_ROUNDS} kills of berthd while --rm containers exit: each is removed after the restart, its exit and words kept`, async () => {
    const call = async (spec: RequestSpec): Promise<string> => (await readAll(await d.client.raw(spec))).toString('utf8');
    const status = (spec: RequestSpec): Promise<number> => call(spec).then(() => 200, (err: unknown) => (err instanceof ApiError ? err.status : 0));
    const problems: string[] = [];
    let removedBeforeKill = 0;
    for (let i = 0; i < AUTO_ROUNDS; i++) {
      const { Id } = JSON.parse(await call({ method: 'POST', path: '/containers/create', query: { name: `a${i}` }, body: { Image: 'busybox', Cmd: ['sh', '-c', `echo words of a${i}; exit 3`], HostConfig: { AutoRemove: true } } })) as { Id: string };
      let removed = false;
      const waited = call({ method: 'POST', path: `/containers/${Id}/wait`, query: { condition: 'removed' } }).then(() => (removed = true), () => undefined);
      await call({ method: 'POST', path: `/containers/${Id}/start` });
      // Kill points spread over the exit and the removal (both within ~30 ms of the start).
      await new Promise((r) => setTimeout(r, (i * 7) % 45));
      await d.halt('SIGKILL');
      await waited;
      if (removed) removedBeforeKill++;
      await d.launch();
      if ((await status({ method: 'GET', path: `/containers/${Id}/json` })) !== 404) {
        problems.push(`round ${i}: a${i} is still there after the restart`);
        await call({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } }).catch(() => undefined);
        continue;
      }
      const record = await call({ method: 'GET', path: `/berth/v1/removed/${Id}` }).then((t) => JSON.parse(t) as { ExitCode: number | null; RemovedBy: string }, () => undefined);
      if (!record) {
        problems.push(`round ${i}: a${i} is gone but no record was kept`);
        continue;
      }
      if (record.ExitCode !== 3) problems.push(`round ${i}: a${i} kept exit code ${record.ExitCode}, not 3`);
      const logs = await call({ method: 'GET', path: `/berth/v1/removed/${Id}/logs`, query: { stdout: true } });
      if (!logs.includes(`words of a${i}`)) problems.push(`round ${i}: the kept log of a${i} lacks its words`);
    }
    console.log(`auto-remove crash injection: ${AUTO_ROUNDS} kills, ${removedBeforeKill} removals answered before the kill, ${problems.length} problems`);
    assert.deepEqual(problems, []);
  });
});
