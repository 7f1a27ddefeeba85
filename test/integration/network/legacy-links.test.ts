import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { answerMessage, rawApi } from '../../helpers/raw-api.js';

const api = rawApi;
const message = answerMessage;

/** Legacy links (docker run --link, HostConfig.Links, EndpointConfig.Links), compared with dockerd 20.10. */
describe('legacy links', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    await d.docker(['network', 'prune', '-f']).catch(() => undefined);
    await d?.stop();
  });

  const ipOf = async (name: string, net = 'bridge'): Promise<string> => ok(await d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name]), `ip of ${name}`).stdout.trim();

  test("on the default bridge: hosts line, ALIAS_* env, inspect, ps names; each start writes the child's address of now", async () => {
    ok(await d.docker(['run', '-d', '--name', 'lk-db', '-e', 'FOO=bar', '--expose', '8080', '--expose', '8081/udp', 'busybox', 'sleep', '300']), 'run child');
    const ip = await ipOf('lk-db');
    const short = ok(await d.docker(['inspect', '-f', '{{.Config.Hostname}}', 'lk-db']), 'hostname').stdout.trim();
    const out = ok(await d.docker(['run', '--rm', '--name', 'lk-web', '--link', 'lk-db:db', 'busybox', 'sh', '-c', 'cat /etc/hosts; env']), 'run --link').stdout;
    // dockerd 20.10 writes exactly this line: alias, the child's hostname, its name.
    assert.ok(out.includes(`${ip}\tdb ${short} lk-db\n`), out);
    for (const v of [`DB_PORT=tcp://${ip}:8080`, `DB_PORT_8080_TCP=tcp://${ip}:8080`, `DB_PORT_8080_TCP_ADDR=${ip}`, 'DB_PORT_8080_TCP_PORT=8080', 'DB_PORT_8080_TCP_PROTO=tcp', `DB_PORT_8081_UDP=udp://${ip}:8081`, 'DB_NAME=/lk-web/db', 'DB_ENV_FOO=bar']) {
      assert.match(out, new RegExp(`^${v.replaceAll('.', '\\.')}$`, 'm'));
    }
    assert.doesNotMatch(out, /^DB_ENV_PATH=/m);

    ok(await d.docker(['run', '-d', '--name', 'lk-app', '--link', 'lk-db', 'busybox', 'sleep', '300']), 'run --link name');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}}', 'lk-app']), 'inspect').stdout.trim(), '["/lk-db:/lk-app/lk-db"]');
    const list = await api(d, 'GET', '/containers/json', '1.41');
    const db = (list.body as Array<{ Names: string[] }>).find((c) => c.Names.includes('/lk-db'));
    assert.deepEqual(db?.Names, ['/lk-db', '/lk-app/lk-db']);
    // Without an alias the name is not repeated on the line.
    assert.match(ok(await d.docker(['exec', 'lk-app', 'cat', '/etc/hosts']), 'hosts').stdout, new RegExp(`^${ip.replaceAll('.', '\\.')}\\tlk-db ${short}$`, 'm'));

    // The child moves to another address; the parent's restart writes the new one.
    ok(await d.docker(['rm', '-f', 'lk-app']), 'rm parent');
    ok(await d.docker(['stop', '-t', '0', 'lk-db']), 'stop child');
    ok(await d.docker(['run', '-d', '--name', 'lk-squatter', 'busybox', 'sleep', '300']), 'take an address');
    ok(await d.docker(['run', '-d', '--name', 'lk-app2', '--link', 'lk-squatter:db', 'busybox', 'sleep', '300']), 'run parent 2');
    ok(await d.docker(['rm', '-f', 'lk-squatter']), 'rm squatter');
    ok(await d.docker(['run', '-d', '--name', 'lk-squatter', 'busybox', 'sleep', '300']), 'a new child with the same name');
    // The link is to the container, not to its name: the removed one does not run, so the start fails as dockerd's.
    const restart = await d.docker(['restart', '-t', '0', 'lk-app2']);
    assert.notEqual(restart.code, 0);
    assert.match(restart.stderr, /Cannot link to a non running container: \/lk-squatter AS \/lk-app2\/db/);
    ok(await d.docker(['start', 'lk-db']), 'start child');
    ok(await d.docker(['run', '-d', '--name', 'lk-app3', '--link', 'lk-db:db', 'busybox', 'sleep', '300']), 'run parent 3');
    ok(await d.docker(['restart', '-t', '0', 'lk-db']), 'restart child');
    ok(await d.docker(['restart', '-t', '0', 'lk-app3']), 'restart parent');
    const now = await ipOf('lk-db');
    assert.match(ok(await d.docker(['exec', 'lk-app3', 'cat', '/etc/hosts']), 'hosts').stdout, new RegExp(`^${now.replaceAll('.', '\\.')}\\tdb `, 'm'));
    assert.equal(ok(await d.docker(['exec', 'lk-app3', 'ping', '-c', '1', '-W', '2', 'db']), 'ping the alias').code, 0);
    // The berth CLI removes a link as the docker CLI does.
    ok(await d.berth(['rm', '--link', 'lk-app3/db']), 'berth rm --link');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}}', 'lk-app3']), 'inspect').stdout.trim(), 'null');
  });

  test('errors as dockerd: unknown child 400, host network 400, stopped child 500 at start; rm --link forgets the link', async () => {
    const unknown = await d.docker(['run', '--rm', '--link', 'lk-nope:x', 'busybox', 'true']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /could not get container for lk-nope: No such container: lk-nope/);
    const host = await api(d, 'POST', '/containers/create', '1.41', { Image: 'busybox', HostConfig: { NetworkMode: 'host', Links: ['lk-db:x'] } });
    assert.equal(host.status, 400);
    assert.match(message(host), /conflicting options: host type networking can't be used with links/);

    ok(await d.docker(['run', '-d', '--name', 'lk-child2', 'busybox', 'sleep', '300']), 'child');
    ok(await d.docker(['create', '--name', 'lk-parent2', '--link', 'lk-child2:c', 'busybox', 'sleep', '300']), 'parent');
    ok(await d.docker(['stop', '-t', '0', 'lk-child2']), 'stop child');
    const start = await api(d, 'POST', '/containers/lk-parent2/start', '1.41');
    assert.equal(start.status, 500);
    assert.equal(message(start), 'Cannot link to a non running container: /lk-child2 AS /lk-parent2/c');

    const dflt = await d.docker(['rm', '--link', 'lk-parent2']);
    assert.match(dflt.stderr, /Conflict, cannot remove the default link name of the container/);
    const missing = await d.docker(['rm', '--link', 'lk-parent2/nope']);
    assert.match(missing.stderr, /No such container: lk-parent2\/nope/);
    ok(await d.docker(['rm', '--link', 'lk-parent2/c']), 'rm --link');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}}', 'lk-parent2']), 'inspect').stdout.trim(), 'null');
    ok(await d.docker(['start', 'lk-parent2']), 'starts without the link');
    assert.equal(ok(await d.docker(['ps', '-aq', '-f', 'name=lk-child2']), 'child stays').stdout.trim().length, 12);
  });

  test('on a user network: links are aliases the linking container alone resolves; HostConfig.Links stays null', async () => {
    ok(await d.docker(['network', 'create', 'lk-net']), 'network');
    // The target need not exist yet (docker-py's test_create_with_links makes it afterwards).
    ok(await d.docker(['run', '-d', '--name', 'lk-u-parent', '--network', 'lk-net', '--link', 'lk-u-target:tgt', 'busybox', 'sleep', '300']), 'parent');
    ok(await d.docker(['run', '-d', '--name', 'lk-u-target', '--network', 'lk-net', 'busybox', 'sleep', '300']), 'target');
    ok(await d.docker(['run', '-d', '--name', 'lk-u-other', '--network', 'lk-net', 'busybox', 'sleep', '300']), 'other');
    const view = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}} {{json .NetworkSettings.Networks}}', 'lk-u-parent']), 'inspect').stdout.replace(/^null /, '')) as Record<string, { Links: string[] }>;
    assert.deepEqual(view['lk-net']?.Links, ['lk-u-target:tgt']);
    const ip = await ipOf('lk-u-target', 'lk-net');
    assert.ok(ok(await d.docker(['exec', 'lk-u-parent', 'nslookup', 'tgt']), 'parent resolves the alias').stdout.includes(ip));
    const other = await d.docker(['exec', 'lk-u-other', 'nslookup', 'tgt']);
    assert.ok(!other.stdout.includes(ip), other.stdout);
    assert.equal((await d.docker(['exec', 'lk-u-parent', 'sh', '-c', 'env | grep -c TGT_'])).stdout.trim(), '0');

    // network connect with links and aliases (docker-py's test_connect_with_links / _aliases).
    ok(await d.docker(['create', '--name', 'lk-u-late', 'busybox', 'sleep', '300']), 'create');
    const connect = await api(d, 'POST', '/networks/lk-net/connect', '1.41', { Container: 'lk-u-late', EndpointConfig: { Links: ['lk-u-target:up'], Aliases: ['late-alias'] } });
    assert.equal(connect.status, 200, message(connect));
    ok(await d.docker(['start', 'lk-u-late']), 'start');
    assert.ok(ok(await d.docker(['exec', 'lk-u-late', 'nslookup', 'up']), 'connected links resolve').stdout.includes(ip));
    const lateIp = await ipOf('lk-u-late', 'lk-net');
    assert.ok(ok(await d.docker(['exec', 'lk-u-other', 'nslookup', 'late-alias']), 'aliases resolve for all').stdout.includes(lateIp));
    ok(await d.docker(['create', '--name', 'lk-u-bad', 'busybox', 'true']), 'create');
    const bad = await api(d, 'POST', '/networks/lk-net/connect', '1.41', { Container: 'lk-u-bad', EndpointConfig: { Links: ['a:b:c'] } });
    assert.equal(bad.status, 400);
    assert.equal(message(bad), 'bad format for links: a:b:c');
  });

  // Debian bookworm's docker-compose 1.29.2 (API 1.38): `run` creates the one-off container, then
  // reconnects it to the project network with the service's links when its aliases lack the short ID.
  const COMPOSE_V1 = '/usr/bin/docker-compose';
  test('docker-compose v1 run: links on the project network resolve, legacy links on the bridge fill hosts and env', { skip: !existsSync(COMPOSE_V1) && 'docker-compose v1 is not installed' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-compose-links-'));
    const compose = (args: string[]) => run(COMPOSE_V1, ['-p', 'lkc', ...args], { env: d.env(), timeoutMs: 120_000 }).then((r) => r, (e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
    const inDir = (args: string[]) => compose(['--project-directory', dir, '-f', join(dir, 'docker-compose.yml'), ...args]);
    try {
      await writeFile(join(dir, 'docker-compose.yml'), [
        'version: "2.4"',
        'services:',
        '  db: { image: busybox, command: sleep 300 }',
        '  web: { image: busybox, command: sleep 300, depends_on: [db], links: ["db:database"] }',
        '  olddb: { image: busybox, command: sleep 300, network_mode: bridge, environment: [SECRET=s3] }',
        '  oldweb: { image: busybox, command: sleep 300, network_mode: bridge, depends_on: [olddb], links: ["olddb:dbalias"] }',
        '',
      ].join('\n'));
      ok(await inDir(['up', '-d', 'db', 'olddb']), 'compose up');
      const dbIp = await ipOf('lkc_db_1', 'lkc_default');
      const r = ok(await inDir(['run', '--rm', '-T', 'web', 'nslookup', 'database']), 'compose run web');
      assert.ok(r.stdout.includes(dbIp), r.stdout);
      const oldIp = await ipOf('lkc_olddb_1');
      const legacy = ok(await inDir(['run', '--rm', '-T', 'oldweb', 'sh', '-c', 'cat /etc/hosts; env']), 'compose run oldweb').stdout;
      assert.match(legacy, new RegExp(`^${oldIp.replaceAll('.', '\\.')}\\tdbalias [0-9a-f]{12} lkc_olddb_1$`, 'm'));
      assert.match(legacy, /^DBALIAS_ENV_SECRET=s3$/m);
    } finally {
      await inDir(['down', '-t', '0']);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
