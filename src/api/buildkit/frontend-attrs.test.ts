import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheNotes, exportSpecs, solveSpecFromAttrs } from './frontend-attrs.js';

const host = { os: 'linux', architecture: 'amd64' };

describe('BuildKit frontend attributes to a SolveSpec', () => {
  test('what buildx sends for a plain build', () => {
    const spec = solveSpecFromAttrs({ filename: 'Dockerfile', 'build-arg:A': '1', 'label:org.x': 'y', target: 'final', platform: 'linux/amd64' }, [{ type: 'moby', attrs: { name: 'docker.io/library/x:latest' } }], host);
    assert.equal(spec.dockerfile, 'Dockerfile');
    assert.equal(spec.target, 'final');
    assert.deepEqual([...spec.buildArgs], [['A', '1']]);
    assert.deepEqual(spec.labels, { 'org.x': 'y' });
    assert.equal(spec.noCache, false);
    assert.deepEqual(spec.exports, [{ type: 'image', index: 0, names: ['docker.io/library/x:latest'] }]);
  });

  test('defaults: Dockerfile, no target, no exporters', () => {
    const spec = solveSpecFromAttrs({}, [], host);
    assert.equal(spec.dockerfile, 'Dockerfile');
    assert.equal(spec.target, undefined);
    assert.deepEqual(spec.exports, []);
  });

  test('no-cache: empty means every stage, a list names stages', () => {
    assert.equal(solveSpecFromAttrs({ 'no-cache': '' }, [], host).noCache, true);
    assert.deepEqual(solveSpecFromAttrs({ 'no-cache': 'build,test' }, [], host).noCache, ['build', 'test']);
  });

  test('BUILDKIT_ build args are frontend switches, not build args; BUILDKIT_SYNTAX is kept for the solve to check', () => {
    assert.deepEqual([...solveSpecFromAttrs({ 'build-arg:BUILDKIT_INLINE_CACHE': '1', 'build-arg:X': '' }, [], host).buildArgs], [['X', '']]);
    assert.equal(solveSpecFromAttrs({ 'build-arg:BUILDKIT_SYNTAX': 'docker/dockerfile:1' }, [], host).syntax, 'docker/dockerfile:1', 'checked by the solve beside # syntax=');
  });

  test('platform: this machine only, with the usual aliases', () => {
    assert.doesNotThrow(() => solveSpecFromAttrs({ platform: 'linux/x86_64' }, [], host));
    assert.doesNotThrow(() => solveSpecFromAttrs({ platform: 'linux/arm64/v8' }, [], { os: 'linux', architecture: 'arm64' }));
    assert.throws(() => solveSpecFromAttrs({ platform: 'linux/amd64,linux/arm64' }, [], host), /platform "linux\/arm64" is not supported: Berth builds for this machine \(linux\/amd64\) only/);
  });

  test('named contexts: images and local directories; other kinds said plainly', () => {
    const spec = solveSpecFromAttrs({ 'context:Base': 'docker-image://busybox:1.36', 'context:src': 'local:src' }, [], host);
    assert.deepEqual(spec.namedContexts, { base: { kind: 'image', ref: 'busybox:1.36' }, src: { kind: 'local', session: 'src' } });
    assert.throws(() => solveSpecFromAttrs({ 'context:x': 'https://github.com/a/b.git' }, [], host), /named context x=.*remote \(git or URL\) context as a named context is not supported/);
    assert.throws(() => solveSpecFromAttrs({ 'context:x': 'oci-layout://abc' }, [], host), /an OCI layout as a named context is not supported/);
    assert.throws(() => solveSpecFromAttrs({ 'context:x': 'bogus' }, [], host), /invalid named context x=bogus/);
  });

  test('RUN container settings: network, hosts, shm size, resources', () => {
    const spec = solveSpecFromAttrs({ 'force-network-mode': 'host', 'add-hosts': 'db=10.0.0.2,Cache=::1', 'shm-size': '67108864', memory: '1000000', cpusetcpus: '0-1' }, [], host);
    assert.deepEqual(spec.runHostConfig, { NetworkMode: 'host', ExtraHosts: ['db:10.0.0.2', 'cache:::1'], ShmSize: 67108864, Memory: 1000000, CpusetCpus: '0-1' });
    assert.deepEqual(solveSpecFromAttrs({ 'force-network-mode': 'sandbox' }, [], host).runHostConfig, {});
    assert.throws(() => solveSpecFromAttrs({ 'force-network-mode': 'bridge2' }, [], host), /invalid netmode bridge2/);
    assert.throws(() => solveSpecFromAttrs({ 'add-hosts': 'nohost' }, [], host), /invalid key-value pair nohost/);
    assert.throws(() => solveSpecFromAttrs({ 'shm-size': '64m' }, [], host), /invalid shm-size value "64m"/);
  });

  test('cache imports: refs kept, what is ignored is said', () => {
    const spec = solveSpecFromAttrs({ 'cache-imports': JSON.stringify([{ Type: 'registry', Attrs: { ref: 'x:cache' } }, { Type: 'local', Attrs: { src: '/tmp/c' } }]) }, [], host);
    assert.deepEqual(spec.cacheFrom, ['x:cache']);
    assert.equal(spec.notes.length, 2);
    assert.match(spec.notes[1] as string, /type=local src=\/tmp\/c: ignored/);
    assert.throws(() => solveSpecFromAttrs({ 'cache-imports': 'nope' }, [], host), /invalid cache-imports nope: expected JSON/);
    assert.deepEqual(cacheNotes([], [{ type: 'inline', attrs: {} }]), ['cache-to type=inline: ignored, the image is its own cache in Berth']);
  });

  test('unknown attributes are ignored', () => {
    assert.doesNotThrow(() => solveSpecFromAttrs({ 'image-resolve-mode': 'default', 'attest:sbom': '', 'something-new': 'x' }, [], host));
  });
});

describe('exporters', () => {
  test('each kind, in request order, names split on commas', () => {
    assert.deepEqual(
      exportSpecs([
        { type: 'image', attrs: { name: 'a:1, b:2' } },
        { type: 'docker', attrs: { name: 'x', dest: '/tmp/x.tar' } },
        { type: 'oci', attrs: {} },
        { type: 'local', attrs: { dest: 'out' } },
        { type: 'tar', attrs: {} },
      ]),
      [
        { type: 'image', index: 0, names: ['a:1', 'b:2'] },
        { type: 'docker', index: 1, names: ['x'] },
        { type: 'oci', index: 2, names: [] },
        { type: 'local', index: 3 },
        { type: 'tar', index: 4 },
      ],
    );
  });

  test('pushing and unknown exporters are refused by name', () => {
    assert.throws(() => exportSpecs([{ type: 'image', attrs: { name: 'x', push: 'true' } }]), /exporter image with push=true/);
    assert.throws(() => exportSpecs([{ type: 'registry', attrs: {} }]), /exporter registry \(--push\)/);
    assert.throws(() => exportSpecs([{ type: 'cacheonly', attrs: {} }]), /exporter "cacheonly" is not supported/);
    assert.doesNotThrow(() => exportSpecs([{ type: 'moby', attrs: { push: 'false' } }]));
  });
});
