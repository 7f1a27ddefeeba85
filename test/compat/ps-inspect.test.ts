import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compatArea, fails, lines, ok, uniq } from './compat.js';

/** ps and inspect: --format templates and --filter, as scripts use them. */
compatArea('ps and inspect', (t) => {
  const up = uniq('ps-up');
  const done = uniq('ps-done');
  const failed = uniq('ps-failed');
  const made = uniq('ps-created');
  let upId = '';
  before(async () => {
    upId = ok(await t().docker(['run', '-d', '--name', up, '--label', 'role=web', '--label', 'tier=compat', 'busybox', 'sleep', '300']), 'run').stdout.trim();
    ok(await t().docker(['run', '--name', done, '--label', 'role=job', 'busybox', 'true']), 'run');
    await t().docker(['run', '--name', failed, 'busybox', 'sh', '-c', 'exit 3']);
    ok(await t().docker(['create', '--name', made, 'busybox', 'echo', 'x']), 'create');
  });
  const names = async (args: string[]): Promise<string[]> => lines(ok(await t().docker(['ps', ...args, '--format', '{{.Names}}']), `ps ${args.join(' ')}`)).sort();

  test('ps shows running containers under docker\'s header', async () => {
    const r = ok(await t().docker(['ps']), 'ps');
    assert.match(lines(r)[0] ?? '', /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    assert.match(r.stdout, new RegExp(`^${upId.slice(0, 12)}\\s+busybox\\s+"sleep 300"\\s+.*Up .*\\s+${up}$`, 'm'));
  });

  test('ps hides stopped containers, ps -a shows them', async () => {
    assert.ok(!(await names([])).includes(done));
    assert.ok((await names(['-a'])).includes(done));
  });

  test('ps -q prints short ids, --no-trunc full ids', async () => {
    assert.ok(lines(ok(await t().docker(['ps', '-q']), 'ps')).includes(upId.slice(0, 12)));
    assert.ok(lines(ok(await t().docker(['ps', '-q', '--no-trunc']), 'ps')).includes(upId));
  });

  test('ps --filter name= matches a substring', async () => {
    assert.deepEqual(await names(['-a', '--filter', `name=${up}`]), [up]);
  });

  test('ps --filter id= matches a prefix', async () => {
    assert.deepEqual(await names(['--filter', `id=${upId.slice(0, 10)}`]), [up]);
  });

  test('ps --filter label=key and label=key=value', async () => {
    assert.deepEqual(await names(['-a', '--filter', 'label=role=web']), [up]);
    assert.deepEqual(await names(['-a', '--filter', 'label=role']), [done, up].sort());
  });

  test('ps --filter status=exited and status=created', async () => {
    const exited = await names(['-a', '--filter', 'status=exited']);
    assert.ok(exited.includes(done) && exited.includes(failed) && !exited.includes(up));
    assert.ok((await names(['-a', '--filter', 'status=created'])).includes(made));
  });

  test('ps --filter exited=3', async () => {
    assert.deepEqual(await names(['-a', '--filter', 'exited=3']), [failed]);
  });

  test('ps --filter ancestor=busybox', async () => {
    assert.ok((await names(['-a', '--filter', 'ancestor=busybox'])).includes(up));
  });

  test('ps several filters of one key are OR, of different keys AND', async () => {
    assert.deepEqual(await names(['-a', '--filter', `name=${done}`, '--filter', `name=${failed}`]), [done, failed].sort());
    assert.deepEqual(await names(['-a', '--filter', 'label=role', '--filter', 'status=running']), [up]);
  });

  test('ps --filter with an unknown key fails', async () => {
    fails(await t().docker(['ps', '--filter', 'nosuchkey=1']), 1, /invalid filter 'nosuchkey'/i);
  });

  test('ps --filter status= with an invalid status fails', async () => {
    fails(await t().docker(['ps', '--filter', 'status=sleeping']), 1, /invalid filter 'status=sleeping'/i);
  });

  test('ps -n 1 and -l show the latest container', async () => {
    assert.deepEqual(await names(['-n', '1']), [made]);
    assert.deepEqual(await names(['-l']), [made]);
  });

  test('ps --format {{.Command}} quotes the command', async () => {
    const r = ok(await t().docker(['ps', '--filter', `name=${up}`, '--format', '{{.Command}}']), 'ps');
    assert.equal(r.stdout, '"sleep 300"\n');
  });

  test('ps --format {{.Status}} for exited containers', async () => {
    const r = ok(await t().docker(['ps', '-a', '--filter', `name=${failed}`, '--format', '{{.Status}}']), 'ps');
    assert.match(r.stdout, /^Exited \(3\) .* ago$/m);
  });

  test('ps --format {{.Label "role"}} and {{.Labels}}', async () => {
    const r = ok(await t().docker(['ps', '--filter', `name=${up}`, '--format', '{{.Label "role"}}|{{.Labels}}']), 'ps');
    assert.equal(r.stdout, 'web|role=web,tier=compat\n');
  });

  test('ps --format table adds the header', async () => {
    const r = ok(await t().docker(['ps', '--filter', `name=${up}`, '--format', 'table {{.Names}}\t{{.Image}}']), 'ps');
    assert.match(lines(r)[0] ?? '', /^NAMES\s+IMAGE$/);
    assert.match(lines(r)[1] ?? '', new RegExp(`^${up}\\s+busybox$`));
  });

  test('ps --format json has docker\'s keys', async () => {
    const r = ok(await t().docker(['ps', '--filter', `name=${up}`, '--format', 'json']), 'ps');
    const row = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(row.Names, up);
    assert.equal(row.Image, 'busybox');
    assert.equal(row.State, 'running');
    for (const k of ['ID', 'Command', 'CreatedAt', 'Status', 'Ports', 'Labels', 'Mounts', 'Networks', 'Size', 'RunningFor']) assert.ok(k in row, k);
  });

  test('ps -s shows sizes', async () => {
    const r = ok(await t().docker(['ps', '-s', '--filter', `name=${up}`, '--format', '{{.Size}}']), 'ps');
    assert.match(r.stdout, /^\d+(\.\d+)?k?B \(virtual .+\)$/m);
  });

  test('inspect -f {{.State.Running}} {{.State.Pid}} of a running container', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', up]), 'inspect');
    const [running, pid] = r.stdout.trim().split(' ');
    assert.equal(running, 'true');
    assert.ok(Number(pid) > 0);
  });

  test('inspect .Name has the leading slash, .Id is the full id', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.Name}} {{.Id}}', up]), 'inspect');
    assert.equal(r.stdout, `/${up} ${upId}\n`);
  });

  test('inspect .Path and .Args split the command', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.Path}} {{json .Args}}', up]), 'inspect');
    assert.equal(r.stdout, 'sleep ["300"]\n');
  });

  test('inspect .Config.Image and .Image', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.Config.Image}} {{.Image}}', up]), 'inspect');
    assert.match(r.stdout, /^busybox sha256:[0-9a-f]{64}\n$/);
  });

  test('inspect of an exited container: State.ExitCode, Pid 0, FinishedAt set', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}} {{.State.FinishedAt}}', failed]), 'inspect');
    assert.match(r.stdout, /^exited 3 0 \d{4}-\d\d-\d\dT/);
  });

  test('inspect .Created is RFC 3339 with nanoseconds', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.Created}}', up]), 'inspect');
    assert.match(r.stdout.trim(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  });

  test('inspect .HostConfig defaults', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.HostConfig.AutoRemove}} {{.HostConfig.Privileged}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Type}}', up]), 'inspect');
    assert.equal(r.stdout, 'false false no json-file\n');
  });

  test('inspect .RestartCount is 0 and .Driver is set', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.RestartCount}} {{.Driver}}', up]), 'inspect');
    assert.match(r.stdout, /^0 \S+\n$/);
  });

  test('inspect .Config.Env includes the image\'s PATH', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', up]), 'inspect');
    assert.ok(lines(r).some((l) => l.startsWith('PATH=')));
  });

  test('inspect prints a JSON array of the container', async () => {
    const r = ok(await t().docker(['inspect', up]), 'inspect');
    const arr = JSON.parse(r.stdout) as Array<{ Id: string; State: { Status: string }; Mounts: unknown[] }>;
    assert.equal(arr.length, 1);
    assert.equal(arr[0]?.Id, upId);
    assert.ok(Array.isArray(arr[0]?.Mounts));
  });

  test('inspect of several objects, one missing, prints the others and exits 1', async () => {
    const r = await t().docker(['inspect', '-f', '{{.Name}}', up, 'nosuchthing']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `/${up}\n`);
    assert.match(r.stderr, /No such object: nosuchthing/);
  });

  test('inspect --type container of an image name fails', async () => {
    fails(await t().docker(['inspect', '--type', 'container', 'busybox']), 1, /No such container: busybox/);
  });

  test('container inspect -s adds SizeRw and SizeRootFs', async () => {
    const r = ok(await t().docker(['container', 'inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', up]), 'inspect');
    const [rw, root] = r.stdout.trim().split(' ').map(Number);
    assert.ok((rw ?? -1) >= 0 && (root ?? 0) > 0);
  });

  test('inspect by short id prefix', async () => {
    const r = ok(await t().docker(['inspect', '-f', '{{.Name}}', upId.slice(0, 8)]), 'inspect');
    assert.equal(r.stdout, `/${up}\n`);
  });

  test('inspect --format {{json .State}} is valid JSON', async () => {
    const r = ok(await t().docker(['inspect', '--format', '{{json .State}}', up]), 'inspect');
    const s = JSON.parse(r.stdout) as { Status: string; StartedAt: string };
    assert.equal(s.Status, 'running');
  });
});
