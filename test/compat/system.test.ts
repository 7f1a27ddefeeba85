import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatArea, fails, lines, ok } from './compat.js';

/** version, info, system df: what tools read first to find out what they talk to. */
compatArea('system', (t) => {
  test('version reports a server with an API version the CLI negotiated', async () => {
    const r = ok(await t().docker(['version', '--format', '{{.Server.APIVersion}}']), 'version');
    assert.match(r.stdout.trim(), /^1\.\d+$/);
  });

  test('version --format reads the server OS and architecture', async () => {
    const r = ok(await t().docker(['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}']), 'version');
    assert.equal(r.stdout.trim(), 'linux/amd64');
  });

  test('version --format json is one JSON object with Client and Server', async () => {
    const r = ok(await t().docker(['version', '--format', 'json']), 'version');
    const v = JSON.parse(r.stdout) as { Client?: unknown; Server?: { Version?: string } };
    assert.ok(v.Client && v.Server?.Version);
  });

  test('info prints the Server section and exits 0', async () => {
    const r = ok(await t().docker(['info']), 'info');
    assert.match(r.stdout, /^Server:$/m);
    assert.match(r.stdout, /Storage Driver: /);
  });

  test('info --format reads the image count', async () => {
    const r = ok(await t().docker(['info', '--format', '{{.Images}}']), 'info');
    assert.ok(Number(r.stdout.trim()) >= 1);
  });

  test('info --format reads OSType, Architecture and the cgroup driver', async () => {
    const r = ok(await t().docker(['info', '--format', '{{.OSType}} {{.Architecture}} {{.CgroupDriver}}']), 'info');
    assert.match(r.stdout.trim(), /^linux x86_64 (cgroupfs|systemd)$/);
  });

  test('info --format json is one JSON object', async () => {
    const r = ok(await t().docker(['info', '--format', '{{json .}}']), 'info');
    const info = JSON.parse(r.stdout) as { ID?: string; Containers?: number; DockerRootDir?: string };
    assert.equal(typeof info.Containers, 'number');
    assert.ok(info.DockerRootDir);
  });

  test('info counts containers by state', async () => {
    const name = `sys-count-${process.pid}`;
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    const r = ok(await t().docker(['info', '--format', '{{.Containers}} {{.ContainersStopped}}']), 'info');
    const [total, stopped] = r.stdout.trim().split(' ').map(Number);
    assert.ok((total ?? 0) >= 1 && (stopped ?? 0) >= 1);
    ok(await t().docker(['rm', name]), 'rm');
  });

  test('system df has docker\'s table header and rows', async () => {
    const r = ok(await t().docker(['system', 'df']), 'system df');
    assert.match(lines(r)[0] ?? '', /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    assert.match(r.stdout, /^Images\s+\d+/m);
    assert.match(r.stdout, /^Containers\s+\d+/m);
    assert.match(r.stdout, /^Local Volumes\s+\d+/m);
  });

  test('system df --format lists the four types', async () => {
    const r = ok(await t().docker(['system', 'df', '--format', '{{.Type}}']), 'system df');
    assert.deepEqual(lines(r), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  });

  test('system df -v lists the images', async () => {
    const r = ok(await t().docker(['system', 'df', '-v']), 'system df -v');
    assert.match(r.stdout, /^Images space usage:/m);
    assert.match(r.stdout, /^busybox\s+latest\s+/m);
  });

  test('a malformed --format template fails with the CLI\'s usage code', async () => {
    fails(await t().docker(['version', '--format', '{{.Server.Version']), 64, /template parsing error/);
  });
});
