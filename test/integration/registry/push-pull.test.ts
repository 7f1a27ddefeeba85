import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';
import { pushToRegistry } from '../../helpers/hostile-tar/routes.js';
import { tar } from '../../helpers/hostile-tar/tar.js';

const SKOPEO = '/usr/bin/skopeo';

describe("Berth's registry with berth, the docker CLI and skopeo", () => {
  let d: TestDaemon;
  let reg: RegistryProcess;
  let busyboxId: string;
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'berth-regtest-'));
    d = await TestDaemon.start();
    reg = await RegistryProcess.start();
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    busyboxId = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
  });
  after(async () => {
    await reg?.stop();
    await d?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test('berth push, rmi, pull: the same image comes back, with its repo digest', async () => {
    const name = `${reg.host}/team/box:v1`;
    ok(await d.berth(['tag', 'busybox', name]), 'tag');
    const push = ok(await d.berth(['push', name]), 'push');
    assert.match(push.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/team\/box\]/);
    assert.match(push.stdout, /: Pushed/);
    const digest = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    // Pushing again finds every layer there.
    assert.match(ok(await d.berth(['push', name]), 'push again').stdout, /Layer already exists/);
    ok(await d.berth(['rmi', name]), 'rmi');
    ok(await d.berth(['rmi', 'busybox']), 'rmi busybox');
    assert.equal(ok(await d.berth(['images', '-q']), 'images').stdout.trim(), '');
    const pull = ok(await d.berth(['pull', name]), 'pull');
    assert.match(pull.stdout, /Pull complete/);
    assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
    assert.match(pull.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/team\/box:v1/);
    const id = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}}', name]), 'inspect').stdout.trim();
    assert.equal(id, `${busyboxId} ["${reg.host}/team/box@${digest}"]`);
    assert.match(ok(await d.berth(['pull', name]), 'pull again').stdout, /Image is up to date/);
    // By digest too, and the image runs.
    ok(await d.berth(['tag', name, 'busybox']), 'tag back');
    ok(await d.berth(['rmi', name]), 'rmi tag');
    ok(await d.berth(['pull', `${reg.host}/team/box@${digest}`]), 'pull by digest');
    const run1 = ok(await d.berth(['run', '--rm', `${reg.host}/team/box@${digest}`, 'echo', 'pulled']), 'run');
    assert.equal(run1.stdout.trim(), 'pulled');
  });

  test('pull -a, tags, catalog and search', async () => {
    ok(await d.berth(['tag', 'busybox', `${reg.host}/multi/x:a`]), 'tag a');
    ok(await d.berth(['tag', 'busybox', `${reg.host}/multi/x:b`]), 'tag b');
    const pushAll = ok(await d.berth(['push', '-a', `${reg.host}/multi/x`]), 'push -a');
    assert.match(pushAll.stdout, /: Mounted from team\/box/, 'blobs already in team/box are mounted, not sent again');
    ok(await d.berth(['rmi', `${reg.host}/multi/x:a`, `${reg.host}/multi/x:b`]), 'rmi');
    ok(await d.berth(['pull', '-a', `${reg.host}/multi/x`]), 'pull -a');
    const tags = ok(await d.berth(['images', '--format', '{{.Tag}}', `${reg.host}/multi/x`]), 'images').stdout.trim().split('\n').sort();
    assert.deepEqual(tags, ['a', 'b']);
    const search = ok(await d.berth(['search', `${reg.host}/multi`]), 'search');
    assert.match(reg.logs, /"path":"\/v1\/search\?q=multi&n=25","status":200/, "Berth's registry answers the v1 search API");
    assert.match(search.stdout, new RegExp(`${reg.host.replace(/\./g, '\\.')}/multi/x`));
    const docker = ok(await d.docker(['search', `${reg.host}/multi`]), 'docker search');
    assert.match(docker.stdout, /multi\/x/);
  });

  test('the docker CLI pushes and pulls through berthd', async () => {
    const name = `localhost:${reg.port}/dock/x:1`;
    ok(await d.docker(['tag', 'busybox', name]), 'docker tag');
    const push = ok(await d.docker(['push', name]), 'docker push');
    assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    ok(await d.docker(['rmi', name]), 'docker rmi');
    const pull = ok(await d.docker(['pull', name]), 'docker pull');
    assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for localhost:\d+\/dock\/x:1/);
    assert.match(pull.stdout, new RegExp(`localhost:${reg.port}/dock/x:1\\s*$`));
    const images = ok(await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', `localhost:${reg.port}/dock/x`]), 'docker images');
    assert.equal(images.stdout.trim(), `localhost:${reg.port}/dock/x:1 ${busyboxId.slice(7, 19)}`);
    const missing = await d.docker(['pull', `localhost:${reg.port}/dock/nothing:1`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /manifest for localhost:\d+\/dock\/nothing:1 not found: manifest unknown/);
  });

  test('skopeo copies to and from the registry, and berth pulls what skopeo pushed', async () => {
    ok(await d.berth(['tag', 'busybox', `${reg.host}/sk/src:1`]), 'tag');
    ok(await d.berth(['push', `${reg.host}/sk/src:1`]), 'push');
    const layout = join(tmp, 'oci');
    ok(await run(SKOPEO, ['copy', '--src-tls-verify=false', `docker://${reg.host}/sk/src:1`, `oci:${layout}:img`]), 'skopeo copy from');
    ok(await run(SKOPEO, ['copy', '--dest-tls-verify=false', `oci:${layout}:img`, `docker://${reg.host}/sk/copied:2`]), 'skopeo copy to');
    const inspect = ok(await run(SKOPEO, ['inspect', '--tls-verify=false', `docker://${reg.host}/sk/copied:2`]), 'skopeo inspect');
    assert.equal((JSON.parse(inspect.stdout) as { Layers: string[] }).Layers.length, 1);
    ok(await d.berth(['pull', `${reg.host}/sk/copied:2`]), 'berth pull of the skopeo copy');
    // skopeo rewrote the config for its OCI manifest; the filesystem is the same.
    const layers = async (name: string): Promise<string> => ok(await d.berth(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', name]), 'inspect').stdout.trim();
    assert.equal(await layers(`${reg.host}/sk/copied:2`), await layers('busybox'));
  });

  test('an image with an empty (0-byte) layer blob pulls: nothing to download, still committed', async () => {
    const empty = Buffer.alloc(0);
    const diffId = `sha256:${createHash('sha256').update(empty).digest('hex')}`;
    await pushToRegistry({ host: '127.0.0.1', port: reg.port }, 'empty/layer', { name: 'empty', family: 'empty', kind: 'layer', bytes: empty, compression: 'none', diffId });
    ok(await d.berth(['pull', `${reg.host}/empty/layer`]), 'pull of an image whose layer is empty');
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', `${reg.host}/empty/layer`]), 'inspect').stdout.trim(), '1');
    ok(await d.berth(['rmi', `${reg.host}/empty/layer`]), 'rmi');
  });

  test('two pulls of one image at once share the download and both succeed', async () => {
    const name = `${reg.host}/team/box:v1`;
    const images = ok(await d.berth(['images', '-q', '--no-trunc']), 'images').stdout.trim().split('\n').filter(Boolean);
    for (const id of images) await d.berth(['rmi', '-f', id]);
    const [a, b] = await Promise.all([d.berth(['pull', name]), d.berth(['pull', name])]);
    ok(a!, 'first pull');
    ok(b!, 'second pull');
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', name]), 'inspect').stdout.trim(), busyboxId);
    ok(await d.berth(['tag', name, 'busybox']), 'tag busybox back');
  });

  test('a registry sending a blob that does not match its digest: a clear error, nothing stored', async () => {
    const good = Buffer.from('the bytes the manifest promises');
    const layerDigest = sha256(good);
    // Same length, other bytes.
    const reg = await tamperedRegistry({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', diffId: `sha256:${'0'.repeat(64)}`, promised: good, sent: Buffer.from('THE BYTES THE MANIFEST PROMISES') });
    try {
      const before = await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'));
      const r = await d.berth(['pull', `127.0.0.1:${reg.port}/bad/blob:1`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${layerDigest}`));
      const after = await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'));
      assert.deepEqual(after.sort(), before.sort());
      assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'partial')), []);
      assert.equal(ok(await d.berth(['images', '-q', `127.0.0.1:${reg.port}/bad/blob`]), 'images').stdout.trim(), '');
    } finally {
      await reg.close();
    }
  });

  test('a tampered uncompressed layer that is a valid tar: unpacked while it downloads, then refused and removed', async () => {
    // The layer is unpacked as it arrives (network → digest → untar in one pass); a blob whose
    // digest fails at its end must leave no layer behind, although every entry was written.
    const good = tar().file('etc/motd', 'the bytes the manifest promises\n').end().bytes();
    const bad = tar().file('etc/motd', 'THE BYTES THE MANIFEST PROMISES\n').end().bytes();
    assert.equal(bad.length, good.length);
    const reg = await tamperedRegistry({ mediaType: 'application/vnd.oci.image.layer.v1.tar', diffId: sha256(good), promised: good, sent: bad });
    const list = async (...path: string[]): Promise<string[]> => (await readdir(join(d.dataRoot, ...path)).catch(() => [])).sort();
    const state = async (): Promise<Record<string, string[]>> => ({ blobs: await list('content', 'blobs', 'sha256'), partial: await list('content', 'partial'), records: await list('image', 'layers'), snapshots: await list('overlay2', 'layers'), vfs: await list('vfs', 'layers') });
    try {
      const before = await state();
      const r = await d.berth(['pull', `127.0.0.1:${reg.port}/bad/plain:1`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${sha256(good)}`));
      assert.deepEqual(await state(), before, 'no blob, partial download, layer record or unpacked layer is left');
      assert.equal(ok(await d.berth(['images', '-q', `127.0.0.1:${reg.port}/bad/plain`]), 'images').stdout.trim(), '');
    } finally {
      await reg.close();
    }
  });
});

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A registry of one single-layer image whose layer blob is named by `promised`'s digest but sends `sent`. */
async function tamperedRegistry(o: { mediaType: string; diffId: string; promised: Buffer; sent: Buffer }): Promise<{ port: number; close: () => Promise<void> }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [o.diffId] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: o.mediaType, digest: sha256(o.promised), size: o.promised.length }],
  }));
  const server: Server = createServer((req, res) => {
    if (req.url === '/v2/') return res.end('{}');
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end(manifest);
    }
    if (req.url?.endsWith(sha256(config))) return res.end(config);
    if (req.url?.endsWith(sha256(o.promised))) return res.end(o.sent);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
