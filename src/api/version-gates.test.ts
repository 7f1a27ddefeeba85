import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../core/errors.js';
import { apiVersionNumber } from './api-version.js';
import { gateFields, idAliasesAt, IMAGE_INSPECT_GATES, IMAGE_LIST_GATES, INFO_GATES, legacyCreateBody, legacyUntaggedNames, volumePruneFilters, type FieldGate } from './version-gates.js';

const GATES: FieldGate[] = [
  { path: 'Old', until: 1.44 },
  { path: 'New', since: 1.46 },
  { path: 'Legacy', until: 1.44, legacy: (o) => o.Size },
  { path: 'Nested.Deep', until: 1.45, legacy: () => 'x' },
];

test('a field is kept only at the versions that had it', () => {
  const v = { Old: 1, New: 2, Size: 7, Nested: { Keep: true } };
  assert.deepEqual(gateFields(v, 1.41, GATES), { Old: 1, Size: 7, Legacy: 7, Nested: { Keep: true, Deep: 'x' } });
  assert.deepEqual(gateFields(v, 1.44, GATES), { Size: 7, Nested: { Keep: true, Deep: 'x' } });
  assert.deepEqual(gateFields(v, 1.5, GATES), { New: 2, Size: 7, Nested: { Keep: true } });
  // The engine's object is never changed: routes may share it.
  assert.deepEqual(v, { Old: 1, New: 2, Size: 7, Nested: { Keep: true } });
});

test('image inspect: VirtualSize below 1.44, runtime Config fields below 1.50, Container and ContainerConfig always (compose v1)', () => {
  const inspect = { Size: 10, Container: 'abc', ContainerConfig: { Cmd: ['sh'] }, Config: { Hostname: '', Tty: false, Image: '', Cmd: ['sh'] } };
  const at = (v: number): Record<string, unknown> => gateFields(inspect, v, IMAGE_INSPECT_GATES);
  assert.equal(at(1.41).VirtualSize, 10);
  assert.equal(at(1.41).Container, 'abc');
  assert.deepEqual(at(1.44).ContainerConfig, { Cmd: ['sh'] });
  assert.equal('VirtualSize' in at(1.44), false);
  assert.deepEqual(at(1.5).ContainerConfig, { Cmd: ['sh'] });
  assert.equal(at(1.5).Container, 'abc');
  assert.deepEqual(at(1.49).Config, { Hostname: '', Tty: false, Image: '', Cmd: ['sh'] });
  assert.deepEqual(at(1.5).Config, { Cmd: ['sh'] });
});

test('image list: containers are not counted before 1.51, untagged images are <none> before 1.43', () => {
  const img = { Size: 3, Containers: 2, RepoTags: [] as string[], RepoDigests: [] as string[] };
  assert.deepEqual(gateFields(img, 1.5, IMAGE_LIST_GATES), { Size: 3, Containers: -1, RepoTags: [], RepoDigests: [] });
  assert.equal((gateFields(img, 1.41, IMAGE_LIST_GATES) as Record<string, unknown>).VirtualSize, 3);
  assert.deepEqual(legacyUntaggedNames(img, 1.42), { ...img, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] });
  assert.equal(legacyUntaggedNames(img, 1.43), img);
  const tagged = { ...img, RepoTags: ['a:b'] };
  assert.equal(legacyUntaggedNames(tagged, 1.41), tagged);
});

test('info: the deprecated fields older clients read', () => {
  const info = { ContainerdCommit: { ID: 'c1' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' }, RegistryConfig: { Mirrors: [] }, Containerd: { Address: '/x' } };
  const old = gateFields(info, 1.41, INFO_GATES);
  assert.deepEqual(old.ContainerdCommit, { ID: 'c1', Expected: 'c1' });
  assert.equal((old as Record<string, unknown>).BridgeNfIptables, false);
  assert.deepEqual(old.RegistryConfig, { Mirrors: [], AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null });
  assert.equal('Containerd' in old, false);
  const now = gateFields(info, 1.5, INFO_GATES);
  assert.deepEqual(now, info);
});

test('volume prune takes named volumes too below 1.42', () => {
  assert.deepEqual(volumePruneFilters({ label: ['a'] }, 1.41), { label: ['a'], all: ['true'] });
  assert.deepEqual(volumePruneFilters({ label: ['a'] }, 1.42), { label: ['a'] });
});

test('create: later fields ignored and later checks skipped for older clients, newer requests refused', () => {
  const mismatched = { Image: 'x', HostConfig: { Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', VolumeOptions: { NoCopy: true }, BindOptions: { CreateMountpoint: true } }], ConsoleSize: [10, 20], Annotations: { a: 'b' } } };
  const old = legacyCreateBody(mismatched, 1.41);
  assert.deepEqual(old.HostConfig, { Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', BindOptions: { CreateMountpoint: false } }] });
  assert.throws(() => legacyCreateBody(mismatched, 1.42), (e: unknown) => e instanceof InvalidParameterError && /VolumeOptions must not be specified on mount type "bind"/.test(e.message));
  assert.deepEqual(legacyCreateBody({ Image: 'x', HostConfig: { Annotations: { a: 'b' } } }, 1.43).HostConfig, { Annotations: { a: 'b' } });
  assert.deepEqual(legacyCreateBody<Record<string, unknown>>({ Image: 'x' }, 1.39).HostConfig, { IpcMode: 'shareable' });
  assert.deepEqual(legacyCreateBody({ Image: 'x', Healthcheck: { Test: ['NONE'], StartInterval: 5 } }, 1.43).Healthcheck, { Test: ['NONE'], StartInterval: 0 });
  const two = { Image: 'x', NetworkingConfig: { EndpointsConfig: { a: { GwPriority: 5 }, b: {} } } };
  assert.throws(() => legacyCreateBody(two, 1.43), /multiple network endpoints: a, b/);
  assert.deepEqual(legacyCreateBody(two, 1.47).NetworkingConfig, { EndpointsConfig: { a: { GwPriority: 0 }, b: { GwPriority: 0 } } });
  assert.deepEqual(legacyCreateBody(two, 1.48).NetworkingConfig, two.NetworkingConfig);
  assert.throws(() => legacyCreateBody({ HostConfig: { Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { Subpath: 'x' } }] } }, 1.44), /Subpath needs API v1.45/);
  assert.throws(() => legacyCreateBody({ HostConfig: { Mounts: [{ Type: 'image', Target: '/v', Source: 'busybox' }] } }, 1.47), /needs API v1.48/);
  // The newest version passes the body through unchanged (a copy).
  const body = { Image: 'x', HostConfig: { ConsoleSize: [1, 2] } };
  assert.deepEqual(legacyCreateBody(body, 1.5), body);
});

test('the route context version compares as its literal: 1.50 is above 1.42, 1.41 below', () => {
  assert.equal(apiVersionNumber('1.41'), 1.41);
  assert.equal(apiVersionNumber('1.50'), 1.5);
  assert.equal(apiVersionNumber('1.5'), 1.05);
  assert.ok(apiVersionNumber('1.50') >= 1.42 && apiVersionNumber('1.41') < 1.42 && apiVersionNumber('1.44') >= 1.44 && apiVersionNumber('1.24') < 1.25);
});


test('idAliasesAt: the short ID among aliases once joined below 1.44, from create on at 1.44, never from 1.45', () => {
  assert.deepEqual([1.41, 1.43, 1.44, 1.45, 1.5].map(idAliasesAt), ['joined', 'joined', 'always', 'never', 'never']);
});
