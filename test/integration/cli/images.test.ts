import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { REPO_ROOT, TestDaemon } from '../../helpers/test-daemon.js';
import { storeSnapshot } from '../../helpers/store-snapshot.js';
import { firstLayerOf } from '../../helpers/layer-of-archive.js';
import { ok } from '../../helpers/expect.js';

/**
 * Images through both clients: the real docker CLI (v28) and berth, against one berthd.
 * One daemon for the file keeps the busybox bootstrap to once per run.
 */
describe('images with the docker CLI and berth', () => {
  let d: TestDaemon;
  let busyboxId: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    busyboxId = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
  });
  after(async () => {
    await d?.stop();
  });

  test('docker version and info talk to berthd', async () => {
    const v = ok(await d.docker(['version']), 'docker version');
    assert.match(v.stdout, /Server: Berth Engine/);
    assert.match(v.stdout, /API version:\s+1\.50/);
    const i = ok(await d.docker(['info', '--format', '{{.Driver}} {{.OSType}} {{.DockerRootDir}}']), 'docker info');
    assert.match(i.stdout.trim(), new RegExp(`^(overlay2|vfs) linux ${d.dataRoot}$`));
    ok(await d.docker(['info']), 'docker info (full)');
  });

  test('berth pins the API version from DOCKER_API_VERSION as docker does, and refuses a malformed one', async () => {
    const env = (v: string): NodeJS.ProcessEnv => ({ ...d.env(), DOCKER_API_VERSION: v });
    const v = ok(await d.berth(['version'], { env: env('1.41') }), 'berth version, DOCKER_API_VERSION=1.41');
    assert.match(v.stdout, /^ API version:\s+1\.41$/m);
    // docker's client takes a leading v; the requests go under it (berthd serves /v1.24 … /v1.50).
    ok(await d.berth(['ps', '-a'], { env: env('v1.44') }), 'berth ps, DOCKER_API_VERSION=v1.44');
    const bad = await d.berth(['ps'], { env: env('abc') });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /API version "abc" \(DOCKER_API_VERSION\) is not one: give it as MAJOR\.MINOR, like 1\.50/);
  });

  test('the bootstrapped busybox image is listed by both CLIs', async () => {
    assert.match(busyboxId, /^sha256:[a-f0-9]{64}$/);
    const docker = ok(await d.docker(['images']), 'docker images');
    assert.match(docker.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(docker.stdout, new RegExp(`busybox\\s+latest\\s+${busyboxId.slice(7, 19)}\\s+.+ago\\s+\\d`));
    const berth = ok(await d.berth(['images']), 'berth images');
    assert.match(berth.stdout, new RegExp(`busybox\\s+latest\\s+${busyboxId.slice(7, 19)}`));
    const quiet = ok(await d.docker(['images', '-q']), 'docker images -q');
    assert.ok(quiet.stdout.split('\n').includes(busyboxId.slice(7, 19)));
    const noTrunc = ok(await d.berth(['images', '-q', '--no-trunc']), 'berth images -q --no-trunc');
    assert.ok(noTrunc.stdout.split('\n').includes(busyboxId));
  });

  test('tag, filters and --format', async () => {
    ok(await d.docker(['tag', 'busybox', 'mybox:1.0']), 'docker tag');
    ok(await d.berth(['tag', 'busybox:latest', 'localhost:5000/team/box']), 'berth tag');
    const all = ok(await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']), 'format');
    const lines = all.stdout.trim().split('\n').sort();
    assert.deepEqual(lines, [`busybox:latest ${busyboxId.slice(7, 19)}`, `localhost:5000/team/box:latest ${busyboxId.slice(7, 19)}`, `mybox:1.0 ${busyboxId.slice(7, 19)}`]);
    const filtered = ok(await d.docker(['images', '--filter', 'reference=mybox', '--format', '{{.Repository}}']), 'filter');
    assert.equal(filtered.stdout.trim(), 'mybox');
    const glob = ok(await d.berth(['images', '--filter', 'reference=*box:*', '--format', '{{.Repository}}']), 'glob');
    assert.deepEqual(glob.stdout.trim().split('\n').sort(), ['busybox', 'mybox']);
    const dangling = ok(await d.docker(['images', '--filter', 'dangling=true', '-q']), 'dangling');
    assert.equal(dangling.stdout.trim(), '');
    const json = ok(await d.berth(['images', '--format', 'json', 'mybox']), 'json');
    const row = JSON.parse(json.stdout.trim()) as Record<string, string>;
    assert.equal(row.Repository, 'mybox');
    assert.equal(row.Tag, '1.0');
    const table = ok(await d.docker(['images', '--format', 'table {{.Repository}}\t{{.Tag}}', 'mybox']), 'table');
    assert.match(table.stdout, /^REPOSITORY\s+TAG\nmybox\s+1\.0\n$/);
  });

  test('image inspect and history agree between docker and berth', async () => {
    const docker = JSON.parse(ok(await d.docker(['image', 'inspect', 'busybox']), 'docker inspect').stdout) as Array<Record<string, unknown>>;
    const berth = JSON.parse(ok(await d.berth(['image', 'inspect', 'busybox']), 'berth inspect').stdout) as Array<Record<string, unknown>>;
    assert.equal(docker[0]?.Id, busyboxId);
    assert.deepEqual(docker, berth);
    const cfg = docker[0]?.Config as { Cmd: string[]; Env: string[] };
    assert.deepEqual(cfg.Cmd, ['sh']);
    assert.ok(cfg.Env.some((e) => e.startsWith('PATH=')));
    const fmt = ok(await d.docker(['inspect', '--format', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', 'busybox']), 'docker inspect -f');
    assert.match(fmt.stdout.trim(), /^linux\/\w+ 1$/);
    const hist = ok(await d.docker(['history', 'busybox']), 'docker history');
    assert.match(hist.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n/);
    assert.match(hist.stdout, new RegExp(busyboxId.slice(7, 19)));
    const bhist = ok(await d.berth(['history', '-q', 'busybox']), 'berth history');
    assert.equal(bhist.stdout.trim().split('\n')[0], busyboxId.slice(7, 19));
  });

  test('save → rmi → load keeps the image ID (docker CLI), and berth save loads into docker load', async () => {
    const archive = join(d.root, 'busybox.tar');
    ok(await d.docker(['save', '-o', archive, 'busybox']), 'docker save');
    assert.ok((await stat(archive)).size > 100_000);
    ok(await d.docker(['tag', 'busybox', 'keep:me']), 'tag');
    ok(await d.docker(['rmi', 'busybox']), 'rmi');
    const loaded = ok(await d.docker(['load', '-i', archive]), 'docker load');
    assert.match(loaded.stdout, /Loaded image: busybox:latest/);
    const id = ok(await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
    assert.equal(id, busyboxId);
    const viaBerth = join(d.root, 'berth-save.tar');
    ok(await d.berth(['save', '-o', viaBerth, 'busybox', 'mybox:1.0']), 'berth save');
    ok(await d.docker(['rmi', 'mybox:1.0']), 'rmi mybox');
    const re = ok(await d.docker(['load'], { input: await readFile(viaBerth) }), 'docker load from stdin');
    assert.match(re.stdout, /Loaded image: mybox:1.0/);
  });

  test('an archive saved by a real dockerd (20.10, legacy layout) loads with the same IDs', async () => {
    const fixture = join(REPO_ROOT, 'test/fixtures/docker-20.10-save.tar');
    const r = ok(await d.docker(['load', '-i', fixture]), 'docker load fixture');
    assert.match(r.stdout, /Loaded image: fixture:two/);
    assert.match(r.stdout, /Loaded image: fixture-base:1/);
    const ids = ok(await d.berth(['image', 'inspect', '-f', '{{.Id}} {{len .RootFS.Layers}} {{index .Config.Labels "made.by"}}', 'fixture:two', 'fixture-base:1']), 'inspect');
    assert.deepEqual(ids.stdout.trim().split('\n').map((l) => l.trim()), [
      'sha256:0f214e4810ad202d4207701f30f03bc0c2ac9baeb3ff085ba11a8ade3abff9ca 2 docker-20.10',
      'sha256:068f3f1b6afda5952405f6d9f9f046734c13c441748317a4e229417862c1c833 1',
    ]);
    ok(await d.docker(['rmi', 'fixture:two', 'fixture-base:1']), 'rmi fixtures');
  });

  test('import with --change and message, from a file and from a URL on loopback', async () => {
    const archive = join(d.root, 'rootfs.tar');
    ok(await d.berth(['save', '-o', join(d.root, 'tmp.tar'), 'busybox']), 'save');
    // A plain rootfs tar: the busybox layer itself.
    const tar = await firstLayerOf(join(d.root, 'tmp.tar'));
    await writeFile(archive, tar);
    const r = ok(await d.docker(['import', '-c', 'CMD ["/bin/sh","-c","echo hi"]', '-c', 'ENV A=1', '-m', 'imported here', archive, 'imported:v1']), 'docker import');
    assert.match(r.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
    const cfg = JSON.parse(ok(await d.docker(['image', 'inspect', '-f', '{{json .Config}}', 'imported:v1']), 'inspect').stdout) as { Cmd: string[]; Env: string[] };
    assert.deepEqual(cfg.Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.ok(cfg.Env.includes('A=1'));
    const hist = ok(await d.docker(['history', '--format', '{{.Comment}}', 'imported:v1']), 'history');
    assert.equal(hist.stdout.trim(), 'imported here');
    const server: Server = createServer((_req, res) => res.end(tar));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const port = (server.address() as { port: number }).port;
      const u = ok(await d.berth(['import', `http://127.0.0.1:${port}/rootfs.tar`, 'fromurl:latest']), 'import URL');
      assert.match(u.stdout.trim(), /^sha256:/);
    } finally {
      server.close();
    }
  });

  test('rmi: untag vs delete, conflicts, and errors like docker', async () => {
    ok(await d.docker(['tag', 'busybox', 'twice:a']), 'tag');
    const untag = ok(await d.docker(['rmi', 'twice:a']), 'rmi tag');
    assert.equal(untag.stdout.trim(), 'Untagged: twice:a');
    const conflict = await d.docker(['rmi', busyboxId.slice(7, 19)]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /unable to delete [a-f0-9]{12} \(must be forced\) - image is referenced in multiple repositories/);
    const missing = await d.docker(['rmi', 'nope:nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: nope:nope/);
    const inspectMissing = await d.docker(['image', 'inspect', 'nope']);
    assert.equal(inspectMissing.code, 1);
    assert.match(inspectMissing.stderr, /No such image: nope/);
    const berthMissing = await d.berth(['image', 'inspect', 'nope']);
    assert.equal(berthMissing.code, 1);
    assert.match(berthMissing.stderr, /No such image: nope/);
  });

  test('rmi of the last tag of an image another image builds on untags it and keeps it, as dockerd does', async () => {
    // The shape `docker-compose down --rmi local` meets when two projects' builds share cache.
    const ctx = join(d.root, 'rmi-parent-ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCMD ["echo", "parent"]\n');
    ok(await d.docker(['build', '-q', '-t', 'rmiparent', ctx], { env: { DOCKER_BUILDKIT: '0' } }), 'build parent');
    await writeFile(join(ctx, 'Dockerfile'), 'FROM rmiparent\nLABEL child=yes\n');
    ok(await d.docker(['build', '-q', '-t', 'rmichild', ctx], { env: { DOCKER_BUILDKIT: '0' } }), 'build child');
    const parentId = ok(await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'rmiparent']), 'inspect').stdout.trim();
    const untag = ok(await d.docker(['rmi', 'rmiparent']), 'rmi parent tag');
    assert.equal(untag.stdout.trim(), 'Untagged: rmiparent:latest');
    // The image stays, untagged, as its child's parent; by ID it is still a hard conflict.
    assert.equal(ok(await d.docker(['image', 'inspect', '--format', '{{.Id}}', parentId]), 'inspect by id').stdout.trim(), parentId);
    const byId = await d.docker(['rmi', '-f', parentId.slice(7, 19)]);
    assert.equal(byId.code, 1);
    assert.match(byId.stderr, /unable to delete [a-f0-9]{12} \(cannot be forced\) - image has dependent child images/);
    const gone = ok(await d.docker(['rmi', 'rmichild']), 'rmi child');
    assert.match(gone.stdout, new RegExp(`Deleted: ${parentId}`), 'the now unreferenced parent goes with its child');
  });

  test('bad input leaves the store exactly as it was', async () => {
    const archive = join(d.root, 'good.tar');
    ok(await d.berth(['save', '-o', archive, 'busybox']), 'save');
    const good = await readFile(archive);
    const before = await storeSnapshot(d.dataRoot);
    const truncated = await d.docker(['load'], { input: good.subarray(0, Math.floor(good.length / 2)) });
    assert.notEqual(truncated.code, 0);
    assert.match(truncated.stderr, /invalid archive|unexpected end|truncated/i);
    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 4096, 8192);
    const c = await d.berth(['load'], { input: corrupt });
    assert.notEqual(c.code, 0);
    const garbage = await d.docker(['load'], { input: Buffer.from('this is not a tar archive at all') });
    assert.notEqual(garbage.code, 0);
    const badImport = await d.docker(['import', '-c', 'RUN echo no', join(d.root, 'good.tar'), 'x:y']);
    assert.notEqual(badImport.code, 0);
    assert.match(badImport.stderr, /RUN/);
    const after = await storeSnapshot(d.dataRoot);
    assert.deepEqual(after, before);
  });

  test('CLI usage errors exit 125 like docker', async () => {
    const r = await d.berth(['images', '--no-such-flag']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /unknown option|unknown flag/);
    const u = await d.berth(['frobnicate']);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /'frobnicate' is not a berth command/);
  });

  test('image prune removes dangling images only', async () => {
    ok(await d.docker(['import', '-m', 'dangling', join(d.root, 'rootfs.tar')]), 'import untagged');
    const dangling = ok(await d.docker(['images', '-q', '--filter', 'dangling=true']), 'list').stdout.trim();
    assert.notEqual(dangling, '');
    const pruned = ok(await d.docker(['image', 'prune', '-f']), 'prune');
    assert.match(pruned.stdout, /Total reclaimed space/);
    assert.equal(ok(await d.docker(['images', '-q', '--filter', 'dangling=true']), 'list').stdout.trim(), '');
    assert.match(ok(await d.docker(['images']), 'images').stdout, /busybox/);
  });
});
