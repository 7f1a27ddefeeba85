import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInsecure } from './registry-hosts.js';
import { parseChallenge, registryErrorText } from './registry-http.js';
import { parsePlatform, selectManifest } from './manifest-select.js';
import { buildManifest } from './image-pusher.js';
import { registryHost } from './distribution-service.js';
import { MEDIA_TYPES, type ImageIndex } from '../../../oci/image-types.js';

const D = (c: string): `sha256:${string}` => `sha256:${c.repeat(64)}`;

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
  assert.equal(parseChallenge(undefined), undefined);
  assert.equal(parseChallenge('Negotiate abc'), undefined);
});

test('insecure registries: loopback always, then listed hosts and CIDRs', () => {
  const s = { insecureRegistries: ['myreg:5000', '10.1.0.0/16'], mirrors: [] };
  for (const h of ['127.0.0.1:5000', '127.9.9.9', 'localhost:1', '[::1]:5000', 'myreg:5000', '10.1.2.3:443']) assert.ok(isInsecure(h, s), h);
  for (const h of ['myreg:5001', '10.2.0.1:5000', 'registry-1.docker.io', '128.0.0.1']) assert.ok(!isInsecure(h, s), h);
});

test('platform selection from an index, as docker picks', () => {
  const entry = (architecture: string, c: string, variant?: string) => ({ mediaType: MEDIA_TYPES.ociManifest, digest: D(c), size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index: ImageIndex = { schemaVersion: 2, manifests: [entry('arm', 'a', 'v7'), entry('arm64', 'b', 'v8'), entry('amd64', 'c')] };
  assert.equal(selectManifest(index, parsePlatform('linux/amd64')).digest, D('c'));
  assert.equal(selectManifest(index, parsePlatform('linux/arm64')).digest, D('b'));
  assert.equal(selectManifest(index, parsePlatform('linux/arm/v7')).digest, D('a'));
  assert.throws(() => selectManifest(index, parsePlatform('linux/s390x')), /no matching manifest for linux\/s390x in the manifest list entries/);
  assert.throws(() => parsePlatform('linux'), /invalid platform/);
});

test('push manifests: docker schema2, OCI when a layer is zstd', () => {
  const cfg = { digest: D('1'), size: 10 };
  const docker = buildManifest(cfg, [{ diffId: D('2'), digest: D('3'), mediaType: MEDIA_TYPES.dockerLayerGzip, size: 5 }, { diffId: D('4'), digest: D('4'), mediaType: MEDIA_TYPES.ociLayer, size: 6 }]);
  assert.equal(docker.mediaType, MEDIA_TYPES.dockerManifest);
  const dm = JSON.parse(docker.bytes.toString()) as { config: { mediaType: string }; layers: Array<{ mediaType: string }> };
  assert.equal(dm.config.mediaType, MEDIA_TYPES.dockerConfig);
  assert.deepEqual(dm.layers.map((l) => l.mediaType), [MEDIA_TYPES.dockerLayerGzip, MEDIA_TYPES.dockerLayer]);
  const oci = buildManifest(cfg, [{ diffId: D('2'), digest: D('3'), mediaType: MEDIA_TYPES.ociLayerZstd, size: 5 }]);
  assert.equal(oci.mediaType, MEDIA_TYPES.ociManifest);
});

test('server addresses and registry errors in docker words', () => {
  assert.equal(registryHost('https://index.docker.io/v1/'), 'registry-1.docker.io');
  assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  assert.equal(registryHost('http://127.0.0.1:5000/'), '127.0.0.1:5000');
  assert.equal(registryErrorText(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"nope"}]}'), 'manifest unknown: nope');
  assert.equal(registryErrorText(502, 'bad gateway'), 'HTTP 502: bad gateway');
});
