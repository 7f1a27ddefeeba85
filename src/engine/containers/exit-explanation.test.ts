import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from './container-types.js';
import { explainExit } from './exit-explanation.js';

const unhealthy = {
  State: { OOMKilled: false, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ Start: '', End: '', ExitCode: 1, Output: 'down\n' }] } },
  HostConfig: { Memory: 0 },
} as unknown as ContainerRecord;

test('an exit caused by --health-on-failure is unhealthy, not the user\'s stop or kill', () => {
  const killed = explainExit(unhealthy, { exitCode: 137, signal: 9, user: { action: 'kill', signal: 'SIGKILL', reason: 'unhealthy' } }, []);
  assert.equal(killed.Reason, 'unhealthy');
  assert.equal(killed.Message, 'killed (SIGKILL) for its --health-on-failure (label berth.health-on-failure); it was unhealthy (3 failed health checks, last output: "down"); exit code 137');
  const stopped = explainExit(unhealthy, { exitCode: 0, signal: null, user: { action: 'stop', signal: 'SIGTERM', reason: 'unhealthy' } }, []);
  assert.equal(stopped.Reason, 'unhealthy');
  assert.match(stopped.Message, /^stopped \(SIGTERM\) for its --health-on-failure/);
  // The user's own stop of an unhealthy container stays theirs.
  assert.equal(explainExit(unhealthy, { exitCode: 0, signal: null, user: { action: 'stop', signal: 'SIGTERM' } }, []).Reason, 'stopped');
});

test('an exit caused by a forced removal says so', () => {
  const healthy = { State: { OOMKilled: false }, HostConfig: { Memory: 0 } } as unknown as ContainerRecord;
  const e = explainExit(healthy, { exitCode: 137, signal: 9, user: { action: 'kill', signal: 'SIGKILL', reason: 'removed' } }, []);
  assert.deepEqual([e.Reason, e.Message], ['killed', 'killed (SIGKILL) by a forced removal (docker rm -f); exit code 137']);
});
