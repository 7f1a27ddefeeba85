import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunMount } from './run-mounts.js';

describe('RUN --mount parsing', () => {
  test('type defaults to bind; target, dst and destination are the same key', () => {
    assert.deepEqual(parseRunMount('target=/src,rw'), { type: 'bind', target: '/src', fields: new Map([['target', '/src'], ['rw', 'true']]) });
    assert.equal(parseRunMount('type=cache,dst=/root/.cache,id=pip').target, '/root/.cache');
    assert.equal(parseRunMount('type=tmpfs,destination=/tmp,size=1048576').type, 'tmpfs');
  });

  test('bad mounts are refused with a reason', () => {
    assert.throws(() => parseRunMount('type=cache'), /mount destination \(target\) is required/);
    assert.throws(() => parseRunMount('type=nfs,target=/x'), /unsupported mount type "nfs"/);
    assert.throws(() => parseRunMount('type=secret,id=aws'), /type=secret is not supported/);
    assert.throws(() => parseRunMount('target=/x,bogus'), /invalid field 'bogus'/);
  });
});
