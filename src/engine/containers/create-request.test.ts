import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { ImageConfig } from '../../oci/image-types.js';
import { containerEnv, resolveCreate, type CreateRequest } from './create-request.js';

const IMAGE = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } } as unknown as ImageConfig;
const create = (body: Record<string, unknown>): ReturnType<typeof resolveCreate> => resolveCreate(body as CreateRequest, 'busybox', IMAGE);

describe('resolveCreate: options a Linux dockerd without plugins takes', () => {
  it('Isolation "default" (docker-py sends it) is accepted and kept; another value is refused as dockerd does', () => {
    assert.equal(create({ HostConfig: { Isolation: 'default' } }).hostConfig.Isolation, 'default');
    assert.throws(() => create({ HostConfig: { Isolation: 'hyperv' } }), (e: unknown) => e instanceof InvalidParameterError && /linux only supports 'default'/.test(e.message));
  });

  it('VolumeDriver matters only to volumes the container makes: accepted without any, 404 for an unknown one with some', () => {
    assert.equal(create({ HostConfig: { VolumeDriver: 'foo' } }).hostConfig.VolumeDriver, 'foo');
    assert.equal(create({ HostConfig: { VolumeDriver: 'local', Binds: ['named:/data'] } }).hostConfig.VolumeDriver, 'local');
    assert.doesNotThrow(() => create({ HostConfig: { VolumeDriver: 'foo', Binds: ['/host:/data'] } }));
    assert.throws(() => create({ HostConfig: { VolumeDriver: 'foo', Binds: ['named:/data'] } }), (e: unknown) => e instanceof NotFoundError && /plugin "foo" not found/.test(e.message));
    assert.throws(() => create({ Volumes: { '/v': {} }, HostConfig: { VolumeDriver: 'foo' } }), NotFoundError);
  });
});

it('a berth.health-on-failure label (--health-on-failure) other than none, kill, restart or stop is refused', () => {
  assert.equal(create({ Labels: { 'berth.health-on-failure': 'restart' } }).config.Labels?.['berth.health-on-failure'], 'restart');
  assert.throws(() => create({ Labels: { 'berth.health-on-failure': 'reboot' } }), (e: unknown) => e instanceof InvalidParameterError && /label berth\.health-on-failure\) 'reboot'/.test(e.message));
});

it('containerEnv: the request first as given, then the image entries it does not set (dockerd merge)', () => {
  const image = ['PATH=/usr/bin:/bin', 'LANG=C', 'A=image'];
  assert.deepEqual(containerEnv(image, []), image);
  assert.deepEqual(containerEnv(image, ['A=1', 'B=2']), ['A=1', 'B=2', 'PATH=/usr/bin:/bin', 'LANG=C']);
  assert.deepEqual(containerEnv(image, ['PATH=/x', 'B=1', 'B=2']), ['PATH=/x', 'B=1', 'B=2', 'LANG=C', 'A=image']);
});
