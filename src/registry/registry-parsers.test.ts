import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from './registry-errors.js';
import { checkDigest, checkName, parseRegistryPath } from './registry-names.js';
import { parseManifest } from './registry-manifests.js';
import { parseServeArgs, parseSize } from './registry-options.js';

const D = `sha256:${'a'.repeat(64)}`;
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RegistryError) return err.code;
    throw err;
  }
  return 'none';
};

test('registry paths split into routes; names follow the spec grammar', () => {
  assert.deepEqual(parseRegistryPath('/v2/'), { kind: 'base' });
  assert.deepEqual(parseRegistryPath('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(parseRegistryPath('/v2/a/b/c/tags/list'), { kind: 'tags', name: 'a/b/c' });
  assert.deepEqual(parseRegistryPath(`/v2/x/blobs/${D}`), { kind: 'blob', name: 'x', digest: D });
  assert.deepEqual(parseRegistryPath('/v2/x/blobs/uploads/'), { kind: 'uploads', name: 'x' });
  assert.deepEqual(parseRegistryPath('/v2/x/blobs/uploads/abc'), { kind: 'upload', name: 'x', id: 'abc' });
  // A repository may itself be called "blobs".
  assert.deepEqual(parseRegistryPath('/v2/blobs/manifests/1'), { kind: 'manifest', name: 'blobs', reference: '1' });
  assert.deepEqual(parseRegistryPath(`/v2/x/referrers/${D}`), { kind: 'referrers', name: 'x', digest: D });
  assert.equal(parseRegistryPath('/v2/x/other'), undefined);
  for (const bad of ['A', 'a/../b', '..', 'a//b', '_x', 'a/.b', 'a-', 'a'.repeat(256)]) assert.equal(code(() => checkName(bad)), 'NAME_INVALID', bad);
  for (const good of ['a', 'a/b', 'a.b-c__d/e', 'x0/y--z']) assert.equal(checkName(good), good);
});

test('digests: sha256 only, well-formed', () => {
  assert.equal(checkDigest(D), D);
  assert.equal(code(() => checkDigest('sha256:short')), 'DIGEST_INVALID');
  assert.equal(code(() => checkDigest(`sha512:${'a'.repeat(128)}`)), 'DIGEST_INVALID');
  assert.equal(code(() => checkDigest(null)), 'DIGEST_INVALID');
});

test('manifests: media type must be known and match; descriptors must be well-formed', () => {
  const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: D, size: 1 }, layers: [{ mediaType: 'y', digest: D, size: 2 }, { mediaType: 'f', digest: D, size: 3, urls: ['http://elsewhere'] }] };
  const parsed = parseManifest(Buffer.from(JSON.stringify(m)), 'application/vnd.oci.image.manifest.v1+json');
  assert.deepEqual(parsed.blobs, [D, D], "config and the layer; not the foreign one");
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify(m)), 'application/vnd.docker.distribution.manifest.v2+json')), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify(m)), 'text/plain')), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify({ ...m, config: { digest: 'nope' } })), 'application/vnd.oci.image.manifest.v1+json')), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify({ ...m, schemaVersion: 1 })), 'application/vnd.oci.image.manifest.v1+json')), 'MANIFEST_INVALID');
  const index = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'z', digest: D, size: 5 }] })), 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(index.manifests, [D]);
});

test('serve options: sizes, loopback unless --insecure or TLS, auth modes', () => {
  assert.equal(parseSize('20M'), 20 * 1024 * 1024);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('1000'), 1000);
  assert.throws(() => parseSize('fast'), /invalid size/);
  const o = parseServeArgs(['--root', '/r', '--listen', '127.0.0.1:0', '--auth', 'token:/h', '--rate-limit', '1M']);
  assert.equal(o.auth, 'token');
  assert.equal(o.htpasswd, '/h');
  assert.equal(o.rateLimit, 1 << 20);
  assert.throws(() => parseServeArgs(['--root', '/r', '--listen', '0.0.0.0:5000']), /refusing to serve plain HTTP on 0\.0\.0\.0/);
  assert.equal(parseServeArgs(['--root', '/r', '--listen', '0.0.0.0:5000', '--insecure']).host, '0.0.0.0');
  assert.throws(() => parseServeArgs(['--listen', '127.0.0.1:1']), /--root DIR is required/);
  assert.throws(() => parseServeArgs(['--root', '/r', '--auth', 'htpasswd']), /invalid --auth/);
});
