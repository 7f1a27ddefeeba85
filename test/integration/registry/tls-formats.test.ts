import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { gunzipSync, zstdCompressSync } from 'node:zlib';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';

const SKOPEO = '/usr/bin/skopeo';

/** HTTPS to the test's registry, whose certificate is self-signed. */
function https(host: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`https://${host}${path}`, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const sha = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('registry over TLS; zstd layers; manifest lists resolved to the platform', () => {
  let d: TestDaemon;
  let reg: RegistryProcess;
  let busyboxId: string;
  before(async () => {
    d = await TestDaemon.start();
    const cert = join(d.root, 'cert.pem');
    const key = join(d.root, 'key.pem');
    ok(await run('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1']), 'openssl');
    reg = await RegistryProcess.start(['--tls-cert', cert, '--tls-key', key]);
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
    busyboxId = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').stdout.trim();
  });
  after(async () => {
    await reg?.stop();
    await d?.stop();
  });

  test('push and pull over HTTPS (a loopback registry: its self-signed certificate is accepted)', async () => {
    const plain = await run('/usr/bin/curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${reg.host}/v2/`]);
    assert.notEqual(plain.stdout, '200', 'the registry speaks TLS only');
    assert.equal((await run('/usr/bin/curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', `https://${reg.host}/v2/`])).stdout, '200');
    const name = `${reg.host}/tls/box:1`;
    ok(await d.berth(['tag', 'busybox', name]), 'tag');
    ok(await d.berth(['push', name]), 'push over https');
    ok(await d.berth(['rmi', name]), 'rmi');
    ok(await d.berth(['pull', name]), 'pull over https');
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', name]), 'inspect').stdout.trim(), busyboxId);
  });

  test('a zstd-compressed image pulls and runs (skopeo reads it too); an index resolves to the host platform', async () => {
    const src = `${reg.host}/fmt/img:amd`;
    ok(await d.berth(['tag', 'busybox', src]), 'tag');
    ok(await d.berth(['push', src]), 'push');
    ok(await d.berth(['tag', 'busybox', 'keep:1']), 'keep a tag');
    // A zstd copy of the image: the same config, its layer recompressed with zstd.
    const amdManifest = JSON.parse((await https(reg.host, 'GET', '/v2/fmt/img/manifests/amd', undefined, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' })).body.toString()) as {
      config: { digest: string; size: number };
      layers: Array<{ digest: string; mediaType: string }>;
    };
    let layer = (await https(reg.host, 'GET', `/v2/fmt/img/blobs/${amdManifest.layers[0]!.digest}`)).body;
    if (amdManifest.layers[0]!.mediaType.endsWith('gzip')) layer = gunzipSync(layer);
    const compressed = zstdCompressSync(layer);
    const zdigest = `sha256:${createHash('sha256').update(compressed).digest('hex')}`;
    assert.equal((await https(reg.host, 'POST', `/v2/fmt/img/blobs/uploads/?digest=${zdigest}`, compressed)).status, 201);
    const zmanifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...amdManifest.config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: zdigest, size: compressed.length }],
    });
    assert.equal((await https(reg.host, 'PUT', '/v2/fmt/img/manifests/zstd', Buffer.from(zmanifest), { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })).status, 201);
    const zstd = `${reg.host}/fmt/img:zstd`;
    ok(await d.berth(['rmi', src]), 'rmi the gzip/tar one');
    ok(await d.berth(['rmi', 'busybox']), 'rmi busybox');
    ok(await d.berth(['pull', zstd]), 'pull zstd');
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', zstd]), 'inspect').stdout.trim(), busyboxId, 'the same config, so the same image');
    assert.equal(ok(await d.berth(['run', '--rm', zstd, 'echo', 'zstd ok']), 'run').stdout.trim(), 'zstd ok');
    // skopeo reads it too.
    const raw = ok(await run(SKOPEO, ['inspect', '--raw', '--tls-verify=false', `docker://${zstd}`]), 'skopeo inspect').stdout;
    assert.equal((JSON.parse(raw) as { layers: Array<{ mediaType: string }> }).layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');

    // An index: arm64 → the zstd manifest, amd64 → the one berth pushed.
    const head = async (tag: string): Promise<{ digest: string; size: number }> => {
      const r = ok(await run('/usr/bin/curl', ['-sk', '-I', '-H', 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json', `https://${reg.host}/v2/fmt/img/manifests/${tag}`]), 'head');
      return { digest: /docker-content-digest: (\S+)/i.exec(r.stdout)![1]!, size: Number(/content-length: (\d+)/i.exec(r.stdout)![1]) };
    };
    const amd = await head('amd');
    const arm = await head('zstd');
    ok(await d.berth(['tag', zstd, 'busybox']), 'keep the image');
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...arm, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', ...amd, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    });
    ok(await run('/usr/bin/curl', ['-skf', '-X', 'PUT', '-H', 'Content-Type: application/vnd.oci.image.index.v1+json', '--data-binary', index, `https://${reg.host}/v2/fmt/img/manifests/multi`]), 'put index');
    ok(await d.berth(['rmi', zstd]), 'rmi');
    const pull = ok(await d.berth(['pull', `${reg.host}/fmt/img:multi`]), 'pull the index');
    assert.match(pull.stdout, new RegExp(`Digest: ${sha(index)}`));
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', `${reg.host}/fmt/img:multi`]), 'inspect').stdout.trim(), busyboxId, 'the amd64 entry');
    const arm64 = await d.berth(['pull', '--platform', 'linux/arm64', `${reg.host}/fmt/img:multi`]);
    assert.notEqual(arm64.code, 0);
    assert.match(arm64.stderr, /is linux\/amd64, not the requested linux\/arm64/, 'the arm64 entry was chosen (its config says amd64)');
  });
});
