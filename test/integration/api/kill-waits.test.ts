import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';

/** POST /containers/{id}/kill with SIGKILL returns once the container has stopped, as dockerd's does. */
describe('kill', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  it('SIGKILL (the default) answers after the container stopped: inspect says exited, rm succeeds at once', async () => {
    for (let i = 0; i < 5; i++) {
      const { Id } = await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } } });
      assert.equal(await d.client.noContent({ method: 'POST', path: `/containers/${Id}/start` }), 204);
      assert.equal(await d.client.noContent({ method: 'POST', path: `/containers/${Id}/kill` }), 204);
      const state = (await d.client.json<{ State: { Running: boolean; Status: string; ExitCode: number } }>({ method: 'GET', path: `/containers/${Id}/json` })).State;
      assert.deepEqual([state.Running, state.Status, state.ExitCode], [false, 'exited', 137], `round ${i}`);
      assert.equal(await d.client.noContent({ method: 'DELETE', path: `/containers/${Id}` }), 204);
    }
  });

  it('another signal answers at once, the container still running if it ignores it', async () => {
    const { Id } = await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['sh', '-c', 'trap "" USR1; sleep 300'], HostConfig: { NetworkMode: 'none' } } });
    try {
      assert.equal(await d.client.noContent({ method: 'POST', path: `/containers/${Id}/start` }), 204);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await d.client.noContent({ method: 'POST', path: `/containers/${Id}/kill`, query: { signal: 'USR1' } }), 204);
      const state = (await d.client.json<{ State: { Running: boolean } }>({ method: 'GET', path: `/containers/${Id}/json` })).State;
      assert.equal(state.Running, true);
    } finally {
      await d.client.noContent({ method: 'DELETE', path: `/containers/${Id}`, query: { force: 'true' } });
    }
  });
});
