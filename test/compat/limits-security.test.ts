import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatArea, fails, ok, uniq } from './compat.js';

/** Resource limits and security options as run flags and in inspect (more with issue 4). */
compatArea('limits and security', (t) => {
  const inspectOf = async (flags: string[], fmt: string): Promise<string> => {
    const name = uniq('lim');
    ok(await t().docker(['create', '--name', name, ...flags, 'busybox', 'true']), `create ${flags.join(' ')}`);
    return ok(await t().docker(['inspect', '-f', fmt, name]), 'inspect').stdout.trim();
  };

  test('--memory shows as HostConfig.Memory in bytes', async () => {
    assert.equal(await inspectOf(['--memory', '64m'], '{{.HostConfig.Memory}}'), '67108864');
  });

  test('--cpus shows as HostConfig.NanoCpus', async () => {
    assert.equal(await inspectOf(['--cpus', '0.5'], '{{.HostConfig.NanoCpus}}'), '500000000');
  });

  test('--pids-limit shows as HostConfig.PidsLimit', async () => {
    assert.equal(await inspectOf(['--pids-limit', '50'], '{{.HostConfig.PidsLimit}}'), '50');
  });

  test('--cap-drop and --cap-add show in HostConfig', async () => {
    assert.equal(await inspectOf(['--cap-drop', 'NET_RAW', '--cap-add', 'SYS_TIME'], '{{json .HostConfig.CapDrop}} {{json .HostConfig.CapAdd}}'), '["CAP_NET_RAW"] ["CAP_SYS_TIME"]');
  });

  test('--cap-drop ALL takes away chown', async () => {
    const r = await t().docker(['run', '--rm', '--cap-drop', 'ALL', 'busybox', 'chown', '1:1', '/tmp']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('the default capability set lets root chown', async () => {
    ok(await t().docker(['run', '--rm', 'busybox', 'chown', '1:1', '/tmp']), 'chown');
  });

  test('--memory below docker\'s minimum is refused', async () => {
    fails(await t().docker(['run', '--rm', '--memory', '1k', 'busybox', 'true']), 125, /Minimum memory limit allowed is 6MB/);
  });

  test('--sysctl sets a namespaced sysctl', async () => {
    const r = ok(await t().docker(['run', '--rm', '--sysctl', 'kernel.shm_rmid_forced=1', 'busybox', 'cat', '/proc/sys/kernel/shm_rmid_forced']), 'run');
    assert.equal(r.stdout, '1\n');
  });

  test('--ulimit nofile sets the limit', async () => {
    const r = ok(await t().docker(['run', '--rm', '--ulimit', 'nofile=512:512', 'busybox', 'sh', '-c', 'ulimit -n']), 'run');
    assert.equal(r.stdout, '512\n');
  });

  test('--privileged shows in HostConfig', async () => {
    assert.equal(await inspectOf(['--privileged'], '{{.HostConfig.Privileged}}'), 'true');
  });

  test('--security-opt no-new-privileges shows in HostConfig', async () => {
    assert.equal(await inspectOf(['--security-opt', 'no-new-privileges'], '{{json .HostConfig.SecurityOpt}}'), '["no-new-privileges"]');
  });

  test('--shm-size sizes /dev/shm', async () => {
    const r = ok(await t().docker(['run', '--rm', '--shm-size', '8m', 'busybox', 'sh', '-c', 'df -k /dev/shm | tail -1 | awk \'{print $2}\'']), 'run');
    assert.equal(r.stdout, '8192\n');
  });

  test('--add-host adds to /etc/hosts', async () => {
    const r = ok(await t().docker(['run', '--rm', '--add-host', 'compat.example:10.1.2.3', 'busybox', 'grep', 'compat.example', '/etc/hosts']), 'run');
    assert.match(r.stdout, /^10\.1\.2\.3\s+compat\.example$/m);
  });

  test('--pid host sees the host\'s processes', async () => {
    const r = ok(await t().docker(['run', '--rm', '--pid', 'host', 'busybox', 'sh', '-c', 'test -d /proc/1 && test "$$" != 1 && echo host-pid']), 'run');
    assert.equal(r.stdout, 'host-pid\n');
  });
});
