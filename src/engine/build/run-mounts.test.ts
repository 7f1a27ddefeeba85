import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunMount } from './run-mounts.js';

describe('RUN --mount parsing', () => {
  test('type defaults to bind; target, dst and destination are the same key', () => {
    assert.deepEqual(parseRunMount('target=/src,rw'), { type: 'bind', target: '/src', fields: new Map([['target', '/src'], ['rw', 'true']]) });
    assert.equal(parseRunMount('type=cache,dst=/root/.cache,id=pip').target, '/root/.cache');
    assert.equal(parseRunMount('type=tmpfs,destination=/tmp,size=1048576').type, 'tmpfs');
  });

  test('secrets: BuildKit defaults for id and target; env= alone mounts no file', () => {
    assert.equal(parseRunMount('type=secret,id=aws').target, '/run/secrets/aws');
    assert.equal(parseRunMount('type=secret,target=/root/.npmrc').fields.get('id'), '.npmrc');
    assert.equal(parseRunMount('type=secret,id=tok,env=TOKEN').target, '');
    assert.equal(parseRunMount('type=secret,id=tok,env=TOKEN,target=/t').target, '/t');
  });

  test('bad mounts are refused with a reason', () => {
    assert.throws(() => parseRunMount('type=cache'), /mount destination \(target\) is required/);
    assert.throws(() => parseRunMount('type=nfs,target=/x'), /unsupported mount type "nfs"/);
    assert.throws(() => parseRunMount('type=ssh'), /type=ssh is not supported/);
    assert.throws(() => parseRunMount('type=secret'), /requires an id or a target/);
    assert.throws(() => parseRunMount('target=/x,bogus'), /invalid field 'bogus'/);
  });
});
