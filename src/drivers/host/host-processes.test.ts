import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcCgroup, readHostProcess } from './host-processes.js';

const ID = 'a'.repeat(64);

describe('parseProcCgroup', () => {
  it('reads a hybrid host: v1 controllers, a named hierarchy and the cgroup2 line', () => {
    const lines = parseProcCgroup(`12:pids:/berth/${ID}\n11:cpu,cpuacct:/berth/${ID}\n1:name=systemd:/user.slice\n0::/\n`);
    assert.deepEqual(lines, [
      { hierarchy: 12, controllers: ['pids'], path: `/berth/${ID}` },
      { hierarchy: 11, controllers: ['cpu', 'cpuacct'], path: `/berth/${ID}` },
      { hierarchy: 1, controllers: ['name=systemd'], path: '/user.slice' },
      { hierarchy: 0, controllers: [], path: '/' },
    ]);
  });

  it('reads a v2-only host', () => {
    assert.deepEqual(parseProcCgroup(`0::/system.slice/berth-${ID}.scope\n`), [{ hierarchy: 0, controllers: [], path: `/system.slice/berth-${ID}.scope` }]);
  });

  it('keeps colons inside a path and skips malformed lines', () => {
    assert.deepEqual(parseProcCgroup('4:memory:/a:b/c\nnonsense\nx:cpu:/\n:cpu:/\n\n'), [{ hierarchy: 4, controllers: ['memory'], path: '/a:b/c' }]);
  });
});

describe('readHostProcess', () => {
  it('reads this process: its command line and cgroups', async () => {
    const p = await readHostProcess(process.pid);
    assert.ok(p);
    assert.equal(p.pid, process.pid);
    assert.equal(p.uid, process.geteuid?.());
    assert.ok(p.command.includes('node'), p.command);
    assert.ok(p.cgroups.length > 0);
    assert.match(p.pidNamespace ?? '', /^pid:\[\d+\]$/);
  });

  it('answers undefined for a PID that does not exist', async () => {
    assert.equal(await readHostProcess(999_999_999), undefined);
  });
});
