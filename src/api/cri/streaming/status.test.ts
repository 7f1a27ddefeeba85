import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeStatus, exitCodeStatus, internalErrorStatus, successStatus } from './status.js';

test('v4 status JSON is byte for byte what the kubelet writes', () => {
  assert.equal(encodeStatus(successStatus(), 4).toString(), '{"status":"Success"}');
  assert.equal(
    encodeStatus(exitCodeStatus(3), 4).toString(),
    '{"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  );
  assert.equal(
    encodeStatus(internalErrorStatus('error executing command in container: no such container'), 5).toString(),
    '{"status":"Failure","message":"Internal error occurred: error executing command in container: no such container","reason":"InternalError","code":500}',
  );
});

test('before v4 only a failure is written, as its message', () => {
  assert.equal(encodeStatus(successStatus(), 3).length, 0);
  assert.equal(encodeStatus(exitCodeStatus(2), 1).toString(), 'command terminated with non-zero exit code: exit status 2');
});
