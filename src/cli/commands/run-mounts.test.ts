import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseDevice, parseMount, parseTmpfs, splitVolumes } from './run-mounts.js';

test('-v: anonymous volumes, binds, named volumes, relative ./ paths made absolute', () => {
  const v = splitVolumes(['/data', '/host:/ctr:ro', 'named:/vol', './rel:/x']);
  assert.deepEqual(v.volumes, { '/data': {} });
  assert.deepEqual(v.binds, ['/host:/ctr:ro', 'named:/vol', `${resolve('./rel')}:/x`]);
  assert.throws(() => splitVolumes(['a:b:c:d']), /too many colons/);
});

test('--mount: bind with options, volume with driver options, tmpfs with size and mode', () => {
  assert.deepEqual(parseMount('type=bind,src=/a,dst=/b,readonly,bind-propagation=rslave'), {
    Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rslave' },
  });
  assert.deepEqual(parseMount('source=v1,target=/data,volume-driver=local,volume-opt=type=tmpfs,volume-nocopy'), {
    Type: 'volume', Source: 'v1', Target: '/data', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } }, NoCopy: true },
  });
  assert.deepEqual(parseMount('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770'), {
    Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
  });
});

test('--mount: missing target, unknown keys and mixed options are refused', () => {
  assert.throws(() => parseMount('type=bind,src=/a'), /target is required/);
  assert.throws(() => parseMount('type=bind,dst=/b,bogus=1'), /unexpected key 'bogus'/);
  assert.throws(() => parseMount('type=bind,dst=/b,volume-nocopy'), /cannot mix 'volume-\*' options with mount type 'bind'/);
  assert.throws(() => parseMount('type=volume,dst=/b,junk'), /invalid field 'junk' must be a key=value pair/);
});

test('--tmpfs and --device', () => {
  assert.deepEqual(parseTmpfs(['/run:rw,size=64m', '/tmp']), { '/run': 'rw,size=64m', '/tmp': '' });
  assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvda:r'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' });
  assert.deepEqual(parseDevice('/dev/null:rw'), { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rw' });
  assert.throws(() => parseDevice('/dev/sda:/dev/xvda:rx'), /bad mode specified: rx/);
  assert.throws(() => parseDevice('/dev/sda:relative'), /relative is not an absolute path/);
});
