import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BERTH_JS, NODE, run } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The registry server alone, over raw HTTP: the spec's flows and its answers to bad input. */
describe('berth registry serve: the distribution API and bad input', () => {
  let reg: RegistryProcess;
  let base: string;
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const errorCode = async (res: Response): Promise<string> => ((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code;

  const upload = async (repo: string, data: Buffer): Promise<string> => {
    const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data });
    assert.equal(res.status, 201);
    return sha(data);
  };
  const manifestFor = (layers: Buffer[], extra: object = {}): Buffer =>
    Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(l), size: l.length })),
      ...extra,
    }));
  const putManifest = (repo: string, ref: string, body: Buffer, type = OCI_MANIFEST): Promise<Response> =>
    fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'Content-Type': type } });

  before(async () => {
    reg = await RegistryProcess.start(['--upload-expiry', '2']);
    base = `http://${reg.host}`;
  });
  after(async () => {
    await reg?.stop();
  });

  test('/v2/ answers with the API version header', async () => {
    const res = await fetch(`${base}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('chunked upload: Location and Range, status, out-of-order chunk refused with 416, wrong digest refused and the upload gone', async () => {
    const start = await fetch(`${base}/v2/c/x/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = start.headers.get('location')!;
    assert.match(loc, /^\/v2\/c\/x\/blobs\/uploads\/[a-f0-9-]{36}$/);
    const a = Buffer.from('first chunk;');
    const b = Buffer.from('second chunk');
    const p1 = await fetch(`${base}${loc}`, { method: 'PATCH', body: a, headers: { 'Content-Range': `0-${a.length - 1}`, 'Content-Type': 'application/octet-stream' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), `0-${a.length - 1}`);
    const bad = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `100-${100 + b.length - 1}` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('range'), `0-${a.length - 1}`);
    const status = await fetch(`${base}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${a.length - 1}`);
    const p2 = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `${a.length}-${a.length + b.length - 1}` } });
    assert.equal(p2.status, 202);
    const wrong = await fetch(`${base}${loc}?digest=${sha('something else')}`, { method: 'PUT' });
    assert.equal(wrong.status, 400);
    assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
    assert.equal((await fetch(`${base}${loc}`)).status, 404, 'a refused upload does not linger');
    assert.equal((await fetch(`${base}/v2/c/x/blobs/${sha('something else')}`, { method: 'HEAD' })).status, 404);
    // The same bytes with the right digest.
    const again = await fetch(`${base}/v2/c/x/blobs/uploads/`, { method: 'POST' });
    const loc2 = again.headers.get('location')!;
    await fetch(`${base}${loc2}`, { method: 'PATCH', body: a });
    const put = await fetch(`${base}${loc2}?digest=${sha(Buffer.concat([a, b]))}`, { method: 'PUT', body: b });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), sha(Buffer.concat([a, b])));
    const range = await fetch(`${base}/v2/c/x/blobs/${sha(Buffer.concat([a, b]))}`, { headers: { Range: 'bytes=6-10' } });
    assert.equal(range.status, 206);
    assert.equal(await range.text(), 'chunk');
    const cancel = await fetch(`${base}/v2/c/x/blobs/uploads/`, { method: 'POST' });
    assert.equal((await fetch(`${base}${cancel.headers.get('location')}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${base}${cancel.headers.get('location')}`)).status, 404);
  });

  test('malformed digests, path tricks in names and unknown endpoints get OCI errors, nothing outside the root', async () => {
    const bad = await fetch(`${base}/v2/c/x/blobs/sha256:nothex`);
    assert.equal(bad.status, 400);
    assert.equal(await errorCode(bad), 'DIGEST_INVALID');
    for (const path of ['/v2/A/manifests/x', '/v2/a//b/manifests/x', '/v2/_x/tags/list', '/v2/a/.git/manifests/x', '/v2/a/%2e%2e/b/manifests/x', '/v2/../../etc/passwd/blobs/' + sha('x')]) {
      // curl sends the path as written (fetch would resolve the dots itself).
      const res = await run('/usr/bin/curl', ['-s', '--path-as-is', '-w', '\n%{http_code}', `${base}${path}`]);
      const [body, status] = res.stdout.split('\n');
      assert.ok(status === '400' || status === '404', `${path}: ${status}`);
      assert.match(body!, /"code":"(NAME_INVALID|NAME_UNKNOWN)"/, path);
    }
    const evil = await fetch(`${base}/v2/x/manifests/..%2f..%2fescape`, { method: 'PUT', body: '{}', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(evil.status, 400);
    assert.deepEqual((await readdir(reg.dataDir)).sort(), ['blobs', 'repositories', 'uploads']);
    assert.deepEqual(await readdir(join(reg.dataDir, 'repositories')), ['c'], 'only the repository the earlier test made');
  });

  test('manifests: unknown media type, missing blobs, wrong digest, huge body; tags with n/last; delete', async () => {
    const layer = Buffer.from('layer bytes');
    await upload('m/x', config);
    const unknownType = await putManifest('m/x', 'v1', manifestFor([]), 'application/x-nonsense');
    assert.equal(unknownType.status, 415);
    assert.equal(await errorCode(unknownType), 'MANIFEST_INVALID');
    const missing = await putManifest('m/x', 'v1', manifestFor([layer]));
    assert.equal(missing.status, 400);
    assert.equal(await errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
    await upload('m/x', layer);
    const m = manifestFor([layer]);
    const wrongDigest = await putManifest('m/x', sha('not it'), m);
    assert.equal(await errorCode(wrongDigest), 'DIGEST_INVALID');
    const huge = await putManifest('m/x', 'big', Buffer.alloc(5 * 1024 * 1024, 0x20));
    assert.equal(huge.status, 413);
    assert.equal(await errorCode(huge), 'SIZE_INVALID');
    const notJson = await putManifest('m/x', 'v1', Buffer.from('{not json'));
    assert.equal(await errorCode(notJson), 'MANIFEST_INVALID');
    for (const tag of ['v1', 'v2', 'v3']) assert.equal((await putManifest('m/x', tag, m)).status, 201);
    const get = await fetch(`${base}/v2/m/x/manifests/v2`);
    assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(get.headers.get('docker-content-digest'), sha(m));
    const page = await fetch(`${base}/v2/m/x/tags/list?n=2`);
    assert.deepEqual(await page.json(), { name: 'm/x', tags: ['v1', 'v2'] });
    assert.equal(page.headers.get('link'), '</v2/m/x/tags/list?n=2&last=v2>; rel="next"');
    assert.deepEqual(await (await fetch(`${base}/v2/m/x/tags/list?n=2&last=v2`)).json(), { name: 'm/x', tags: ['v3'] });
    assert.equal((await fetch(`${base}/v2/m/x/manifests/v3`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${base}/v2/m/x/manifests/v3`)).status, 404);
    assert.equal((await fetch(`${base}/v2/m/x/manifests/${sha(m)}`, { method: 'DELETE' })).status, 202);
    assert.deepEqual(await (await fetch(`${base}/v2/m/x/tags/list`)).json(), { name: 'm/x', tags: [] });
    assert.equal(await errorCode(await fetch(`${base}/v2/none/here/tags/list`)), 'NAME_UNKNOWN');
  });

  test('a client that hangs up mid-blob is a disconnect in the log, not a failure, and the registry serves on', async () => {
    const blob = Buffer.alloc(8 << 20, 7);
    const digest = await upload('hangup/one', blob);
    const { hostname, port } = new URL(base);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write(`GET /v2/hangup/one/blobs/${digest} HTTP/1.1\r\nHost: x\r\n\r\n`));
      socket.once('data', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    for (let i = 0; i < 50 && !reg.logs.includes('client closed the connection'); i++) await sleep(100);
    assert.match(reg.logs, /"level":30,[^\n]*"msg":"client closed the connection before the response ended"/);
    assert.doesNotMatch(reg.logs, /request failed/);
    const whole = await fetch(`${base}/v2/hangup/one/blobs/${digest}`);
    assert.equal(sha(Buffer.from(await whole.arrayBuffer())), digest);
  });

  test('cross-repository mount, catalog, an index, referrers', async () => {
    const layer = Buffer.from('shared layer');
    await upload('src/a', config);
    await upload('src/a', layer);
    const mount = await fetch(`${base}/v2/dst/b/blobs/uploads/?mount=${sha(layer)}&from=src/a`, { method: 'POST' });
    assert.equal(mount.status, 201);
    assert.equal((await fetch(`${base}/v2/dst/b/blobs/${sha(layer)}`, { method: 'HEAD' })).status, 200);
    const notThere = await fetch(`${base}/v2/dst/b/blobs/uploads/?mount=${sha('absent')}&from=src/a`, { method: 'POST' });
    assert.equal(notThere.status, 202, 'a mount of an absent blob falls back to an upload');
    const m = manifestFor([layer]);
    assert.equal((await putManifest('src/a', 'img', m)).status, 201);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: OCI_MANIFEST, digest: sha(m), size: m.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
    assert.equal((await putManifest('src/a', 'multi', index, 'application/vnd.oci.image.index.v1+json')).status, 201);
    const sig = manifestFor([], { artifactType: 'application/vnd.example.sig', subject: { mediaType: OCI_MANIFEST, digest: sha(m), size: m.length } });
    const put = await putManifest('src/a', sha(sig), sig);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-subject'), sha(m));
    const refs = (await (await fetch(`${base}/v2/src/a/referrers/${sha(m)}`)).json()) as { manifests: Array<{ digest: string; artifactType: string }> };
    assert.deepEqual(refs.manifests.map((r) => [r.digest, r.artifactType]), [[sha(sig), 'application/vnd.example.sig']]);
    const catalog = (await (await fetch(`${base}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(catalog.repositories.includes('src/a') && catalog.repositories.includes('dst/b'), JSON.stringify(catalog));
  });

  test('an abandoned upload expires; gc removes blobs no manifest references', async () => {
    const start = await fetch(`${base}/v2/stale/x/blobs/uploads/`, { method: 'POST' });
    const loc = start.headers.get('location')!;
    await fetch(`${base}${loc}`, { method: 'PATCH', body: 'half a blob' });
    const id = loc.split('/').pop()!;
    assert.ok((await readdir(join(reg.dataDir, 'uploads'))).includes(id));
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await sleep(200);
      gone = !(await readdir(join(reg.dataDir, 'uploads'))).includes(id);
    }
    assert.ok(gone, 'the stale upload was removed');
    assert.equal((await fetch(`${base}${loc}`)).status, 404);
    const orphan = await upload('stale/x', Buffer.from('nobody references me'));
    await reg.halt();
    const gc = ok(await run(NODE, [BERTH_JS, 'registry', 'gc', '--root', reg.dataDir]), 'registry gc');
    assert.match(gc.stdout, /removed [1-9]\d* blobs/);
    const blobs = await readdir(join(reg.dataDir, 'blobs', 'sha256'));
    assert.ok(!blobs.includes(orphan.slice(7)));
    await reg.launch();
    base = `http://${reg.host}`;
    assert.equal((await fetch(`${base}/v2/`)).status, 200, 'the registry serves on after all of it');
  });
});
