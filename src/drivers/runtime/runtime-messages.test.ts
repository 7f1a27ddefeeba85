import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asRuncMessage } from './runtime-messages.js';

test("crun's start errors read as runc's, so docker's 126/127 rules apply", () => {
  assert.equal(asRuncMessage('executable file `/no/such` not found in $PATH: No such file or directory'), 'unable to start container process: exec: "/no/such": stat /no/such: no such file or directory');
  assert.equal(asRuncMessage('executable file `nosuch` not found in $PATH: No such file or directory'), 'unable to start container process: exec: "nosuch": executable file not found in $PATH');
  assert.equal(asRuncMessage('chdir `/nonexist`: No such file or directory'), 'unable to start container process: chdir to cwd ("/nonexist") set in config.json failed: no such file or directory');
  assert.equal(asRuncMessage('open executable: Permission denied'), 'unable to start container process: exec: open executable: permission denied');
  assert.equal(asRuncMessage('mount `/proc`: Operation not permitted'), 'mount `/proc`: Operation not permitted');
});
