import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from './errors.js';
import { HEALTH_ON_FAILURE_LABEL, healthOnFailure } from './health-on-failure.js';

test('health-on-failure: none when unset or empty, each of podman actions accepted', () => {
  assert.equal(healthOnFailure(undefined), 'none');
  assert.equal(healthOnFailure(null), 'none');
  assert.equal(healthOnFailure({ other: 'x' }), 'none');
  assert.equal(healthOnFailure({ [HEALTH_ON_FAILURE_LABEL]: '' }), 'none');
  for (const a of ['none', 'kill', 'restart', 'stop']) assert.equal(healthOnFailure({ [HEALTH_ON_FAILURE_LABEL]: a }), a);
});

test('health-on-failure: an unknown action is refused, naming the flag, the label and the choices', () => {
  for (const bad of ['Restart', 'reboot', ' kill']) {
    assert.throws(
      () => healthOnFailure({ [HEALTH_ON_FAILURE_LABEL]: bad }),
      (err: unknown) => err instanceof InvalidParameterError && /--health-on-failure/.test(err.message) && err.message.includes(HEALTH_ON_FAILURE_LABEL) && err.message.includes(`'${bad}'`) && /'none', 'kill', 'restart', 'stop'/.test(err.message),
    );
  }
});
