import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatForCli } from '../format/table.js';
import { CONTAINER_HEADERS, ContainerRow, ellipsis } from './container-list.js';
import { displayablePorts, naturalCompare } from './container-ports.js';
import { logTimestamp } from './container-logs.js';
import { bytesSize, statsRow } from './container-stats.js';

const summary = {
  Id: 'a'.repeat(64),
  Names: ['/web'],
  Image: 'nginx:latest',
  Command: 'nginx -g daemon off; and more words',
  Created: 1_700_000_000,
  Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
  Labels: { b: '2', a: '1' },
  State: 'running',
  Status: 'Up 5 minutes',
  SizeRw: 0,
  SizeRootFs: 1_980_000,
};

test('ps row: truncated ID, quoted command ellipsized at 20, name without slash, sizes', () => {
  const r = new ContainerRow(summary, true, 1_700_000_000_000 + 3_600_000);
  assert.equal(r.ID, 'aaaaaaaaaaaa');
  assert.equal(r.Command, '"nginx -g daemon off…"');
  assert.equal(r.Names, 'web');
  assert.equal(r.RunningFor, 'About an hour ago');
  assert.equal(r.Size, '0B (virtual 1.98MB)');
  assert.equal(r.Labels, 'a=1,b=2');
  assert.equal(r.Label('b'), '2');
  assert.equal(r.Ports, '0.0.0.0:8080->80/tcp');
  assert.equal(new ContainerRow(summary, false).Command, '"nginx -g daemon off; and more words"');
});

test('ps table and templates, including .Label and json', () => {
  const rows = [new ContainerRow(summary, true)];
  const out = formatForCli(undefined, 'table {{.ID}}\t{{.Names}}', rows, CONTAINER_HEADERS);
  assert.match(out, /^CONTAINER ID {3}NAMES\naaaaaaaaaaaa {3}web\n?$/);
  assert.equal(formatForCli('{{.Label "a"}}', '', rows, CONTAINER_HEADERS), '1\n');
  // A row marshals as docker's context does (json.Marshal: HTML-escaped, Platform null); a field does not.
  const shell = [new ContainerRow({ ...summary, Command: 'sh -c a>b&&c<d' }, false)];
  const json = formatForCli('json', '', shell, CONTAINER_HEADERS);
  assert.match(json, /"Command":"\\"sh -c a\\u003eb\\u0026\\u0026c\\u003cd\\"",/);
  assert.match(json, /"Networks":"","Platform":null,"Ports":/);
  assert.equal(formatForCli('{{json .Command}}', '', shell, CONTAINER_HEADERS), '"\\"sh -c a>b&&c<d\\""\n');
  assert.match(formatForCli('json', '', rows, CONTAINER_HEADERS), /^\{"Command":"\\"nginx/);
});

test('ellipsis and the PORTS column grouping', () => {
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(ellipsis('abcdef', 4), 'abc…');
  assert.equal(displayablePorts([
    { PrivatePort: 9001, Type: 'tcp' }, { PrivatePort: 9000, Type: 'tcp' }, { PrivatePort: 9002, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }, { IP: '::', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
  ]), '0.0.0.0:80->80/tcp, 9000-9002/tcp, :::8443->443/tcp');
  assert.equal(displayablePorts([]), '');
  assert.deepEqual(['80/tcp -> 0.0.0.0:10', '8080/tcp -> x', '9/tcp -> y'].sort(naturalCompare), ['9/tcp -> y', '80/tcp -> 0.0.0.0:10', '8080/tcp -> x']);
});

test('logs --since/--until: durations ago, unix timestamps as is, RFC 3339 converted', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  assert.equal(logTimestamp('10m', now), String(now / 1000 - 600));
  assert.equal(logTimestamp('1700000000', now), '1700000000');
  assert.equal(logTimestamp('1700000000.5', now), '1700000000.5');
  assert.equal(logTimestamp('2024-01-01T10:00:00Z', now), `${Date.UTC(2024, 0, 1, 10) / 1000}.000000000`);
  assert.throws(() => logTimestamp('yesterday', now), /failed to parse value as time or duration/);
});

test('stats row: CPU against the system delta, memory without page cache, binary sizes', () => {
  const row = statsRow('web', {
    id: 'b'.repeat(64),
    name: '/web',
    cpu_stats: { cpu_usage: { total_usage: 300 }, system_cpu_usage: 2000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 },
    memory_stats: { usage: 3 * 1024 * 1024, limit: 1024 ** 3, stats: { inactive_file: 1024 * 1024 } },
    networks: { eth0: { rx_bytes: 1500, tx_bytes: 0 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 4096 }, { op: 'write', value: 0 }] },
    pids_stats: { current: 3 },
  }, false);
  assert.deepEqual(row, {
    Container: 'web', ID: 'bbbbbbbbbbbb', Name: 'web', CPUPerc: '40.00%', MemUsage: '2MiB / 1GiB', MemPerc: '0.20%',
    NetIO: '1.5kB / 0B', BlockIO: '4.1kB / 0B', PIDs: '3',
  });
  assert.equal(bytesSize(1.5 * 1024 * 1024), '1.5MiB');
  assert.equal(bytesSize(0), '0B');
});
