import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRestartDelay, restartsOnBoot, shouldRestart, validateRestartPolicy } from './restart-policy.js';
import { logSettings, validateLogConfig } from './log-config.js';
import { probeCommand, resolveHealthcheck } from './health/health-config.js';

test("restart policies: docker's validation and decisions", () => {
  assert.deepEqual(validateRestartPolicy(undefined, false), { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(validateRestartPolicy({ Name: '' }, false), { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }, false), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => validateRestartPolicy({ Name: 'sometimes' }, false), /unknown policy 'sometimes'/);
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }, false), /only be used with 'on-failure'/);
  assert.throws(() => validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 }, false), /cannot be negative/);
  assert.throws(() => validateRestartPolicy({ Name: 'always' }, true), /AutoRemove/);
  const always = { Name: 'always', MaximumRetryCount: 0 };
  const unless = { Name: 'unless-stopped', MaximumRetryCount: 0 };
  const onFailure2 = { Name: 'on-failure', MaximumRetryCount: 2 };
  assert.equal(shouldRestart(always, 0, false, 10), true);
  assert.equal(shouldRestart(always, 1, true, 0), false, 'a stop by the user wins');
  assert.equal(shouldRestart(onFailure2, 0, false, 0), false);
  assert.equal(shouldRestart(onFailure2, 1, false, 1), true);
  assert.equal(shouldRestart(onFailure2, 1, false, 2), false);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, 1, false, 99), true);
  assert.equal(restartsOnBoot(always, 0, true, 0), true, 'always comes back at daemon start even after a stop');
  assert.equal(restartsOnBoot(unless, 0, true, 0), false);
  assert.equal(restartsOnBoot(unless, 0, false, 0), true);
});

test('restart back-off: 100 ms doubling to a minute, reset after 10 s of running', () => {
  let d = 0;
  const seen = [];
  for (let i = 0; i < 12; i++) seen.push((d = nextRestartDelay(d, 50)));
  assert.deepEqual(seen.slice(0, 5), [100, 200, 400, 800, 1600]);
  assert.equal(seen.at(-1), 60_000);
  assert.equal(nextRestartDelay(60_000, 10_000), 100);
});

test('log configs: drivers, options and their defaults as docker reads them', () => {
  assert.deepEqual(validateLogConfig(undefined), { Type: 'json-file', Config: {} });
  assert.deepEqual(logSettings({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } }), { driver: 'json-file', maxSize: 10_000_000, maxFiles: 3, compress: false });
  assert.deepEqual(logSettings({ Type: 'local', Config: {} }), { driver: 'local', maxSize: 20 * 1024 * 1024, maxFiles: 5, compress: true });
  assert.equal(logSettings({ Type: 'json-file', Config: {} }).maxSize, 0);
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { 'max-file': '0' } }), /max-file cannot be less than 1/);
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { compress: 'true' } }), /compress cannot be true/);
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { 'max-size': 'lots' } }), /invalid size/);
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { colour: 'red' } }), /unknown log opt 'colour'/);
  assert.throws(() => validateLogConfig({ Type: 'none', Config: { 'max-size': '1m' } }), /does not support log options/);
  assert.throws(() => validateLogConfig({ Type: 'gelf' }), /not supported/);
});

test("health checks: the request's fields over the image's, docker's limits, probe commands", () => {
  const image = { Test: ['CMD', 'check'], Interval: 5e9, Retries: 4 };
  assert.deepEqual(resolveHealthcheck({ Interval: 1e9 }, image).Healthcheck, { Test: ['CMD', 'check'], Interval: 1e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 4 });
  assert.deepEqual(resolveHealthcheck(undefined, undefined), {});
  assert.throws(() => resolveHealthcheck({ Interval: 10 }, undefined), /cannot be less than 1ms/);
  assert.throws(() => resolveHealthcheck({ Retries: -1, Test: ['CMD', 'x'] }, undefined), /cannot be negative/);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'curl -f localhost'] }), ['/bin/sh', '-c', 'curl -f localhost']);
  assert.deepEqual(probeCommand({ Test: ['CMD', 'a', 'b'] }), ['a', 'b']);
  assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
});
