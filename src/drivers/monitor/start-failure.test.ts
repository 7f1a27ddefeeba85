import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorArgs, startFailureExitCode } from './monitor-client.js';

test('start failures map to docker exit codes', () => {
  assert.equal(startFailureExitCode('exec: "nosuch": executable file not found in $PATH'), 127);
  assert.equal(startFailureExitCode('exec: "/no/x": stat /no/x: no such file or directory'), 127);
  assert.equal(startFailureExitCode('exec: "/etc/passwd": permission denied'), 126);
  assert.equal(startFailureExitCode('chdir to cwd ("/nonexist") set in config.json failed: no such file or directory'), undefined);
  assert.equal(startFailureExitCode('cgroup: something else broke'), undefined);
});

test('monitor arguments carry every option', () => {
  const args = monitorArgs({ binary: 'm', id: 'c', bundle: '/b', runtime: '/usr/bin/runc', runtimeRoot: '/r', stateDir: '/s', tty: true, stdin: true, stdinOnce: false, consoleSize: [24, 80], holdOutput: true, logPath: '/l' });
  assert.deepEqual(args, ['--id', 'c', '--bundle', '/b', '--runtime', '/usr/bin/runc', '--runtime-root', '/r', '--state-dir', '/s', '--log-path', '/l', '--tty', '--stdin', '--console-size', '24x80', '--hold-output']);
});
