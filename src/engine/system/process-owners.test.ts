import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../core/errors.js';
import { parseProcCgroup } from '../../drivers/host/host-processes.js';
import { containerOfCgroups, parsePid } from './process-owners.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const known = new Set([A, B]);

describe('containerOfCgroups', () => {
  it('finds the container under a cgroupfs parent on a hybrid host', () => {
    const lines = parseProcCgroup(`9:pids:/berth-hW/${B}\n4:memory:/berth-hW/${B}\n1:name=systemd:/\n0::/\n`);
    assert.equal(containerOfCgroups(lines, known), B);
  });

  it('finds it in a v2 line and in a systemd scope name', () => {
    assert.equal(containerOfCgroups(parseProcCgroup(`0::/berth/${A}\n`), known), A);
    assert.equal(containerOfCgroups(parseProcCgroup(`0::/system.slice/docker-${A}.scope\n`), known), A);
  });

  it('takes the deepest ID: a container nested under another container\'s cgroup is its own', () => {
    assert.equal(containerOfCgroups(parseProcCgroup(`0::/berth/${A}/${B}\n`), known), B);
  });

  it('ignores an ID-like segment of no known container, and host cgroups', () => {
    assert.equal(containerOfCgroups(parseProcCgroup(`0::/berth/${'c'.repeat(64)}\n4:memory:/process_api/f075940748261b88e5792f23791b4c4a\n`), known), undefined);
    assert.equal(containerOfCgroups(parseProcCgroup('0::/user.slice/session-1.scope\n'), known), undefined);
  });
});

describe('parsePid', () => {
  it('accepts a positive decimal', () => assert.equal(parsePid('4242'), 4242));
  it('refuses anything else, naming the value', () => {
    for (const bad of ['0', '-1', 'abc', '1.5', '', '12345678901']) assert.throws(() => parsePid(bad), (e: unknown) => e instanceof InvalidParameterError && e.message.includes(`"${bad}"`));
  });
});
