import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asRuncMessage } from './runtime-messages.js';
import { RuntimeStartError, startFailureReason } from './runtime-start-error.js';
import { signalName } from './monitored-process.js';

test("start failures are classified as moby's translateContainerdStartErr does", () => {
  assert.equal(startFailureReason('runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH'), 'executable-not-found');
  assert.equal(startFailureReason('exec: "/no/x": stat /no/x: no such file or directory'), 'executable-not-found');
  assert.equal(startFailureReason('exec: "/etc": permission denied'), 'permission-denied');
  assert.equal(startFailureReason('chdir to cwd ("/nonexist") set in config.json failed: no such file or directory'), 'cwd-not-found');
  assert.equal(startFailureReason('error mounting "/etc/passwd" to rootfs at "/etc": not a directory'), 'not-a-directory');
  assert.equal(startFailureReason('cgroup: something else broke'), 'runtime-failed');
  assert.equal(startFailureReason('runc run failed: unable to start container process: error closing exec fds: open /proc/self/fd: no such file or directory'), 'runtime-failed');
  // crun's words, rewritten into runc's first, classify the same.
  assert.equal(startFailureReason(asRuncMessage('executable file `nosuch` not found in $PATH: No such file or directory')), 'executable-not-found');
});

test('the typed error carries docker exit code, error kind and moby hint', () => {
  const missing = new RuntimeStartError('exec: "nosuch": executable file not found in $PATH', 'create');
  assert.deepEqual([missing.reason, missing.exitCode, missing.kind, missing.phase], ['executable-not-found', 127, 'invalid-parameter', 'create']);
  const denied = new RuntimeStartError('exec: "/etc": permission denied', 'exec');
  assert.deepEqual([denied.exitCode, denied.kind], [126, 'invalid-parameter']);
  const notDir = new RuntimeStartError('mount /x: not a directory', 'create');
  assert.equal(notDir.exitCode, undefined);
  assert.match(notDir.message, /Are you trying to mount a directory onto a file/);
  assert.equal(new RuntimeStartError('crun: cgroup broke', 'create').kind, 'system');
});

test('signals are named as the runtimes take them', () => {
  assert.equal(signalName('SIGTERM'), 'TERM');
  assert.equal(signalName('kill'), 'KILL');
  assert.equal(signalName(15), 'TERM');
  assert.equal(signalName('9'), 'KILL');
  assert.throws(() => signalName('NOPE'), /invalid signal/);
});
