import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { buildOptions } from './build.js';

describe('buildOptions', () => {
  it('takes JSON null as an empty value, as dockerd does (compose sends cachefrom=null, buildargs=null…)', () => {
    const o = buildOptions(new URLSearchParams('cachefrom=null&buildargs=null&labels=null&ulimits=null&t=x'));
    assert.deepEqual(o.cacheFrom, []);
    assert.equal(o.buildArgs.size, 0);
    assert.deepEqual(o.labels, {});
    assert.deepEqual(o.tags, ['x']);
  });

  it('still refuses values of the wrong shape, naming the parameter', () => {
    assert.throws(() => buildOptions(new URLSearchParams('cachefrom={"a":1}')), (e: unknown) => e instanceof InvalidParameterError && /invalid cachefrom parameter/.test(e.message));
    assert.throws(() => buildOptions(new URLSearchParams('buildargs=[1]')), InvalidParameterError);
    assert.throws(() => buildOptions(new URLSearchParams('labels=nojson')), /expected JSON/);
  });

  it('reads platform from API 1.32 on, as dockerd (older clients never sent one)', () => {
    assert.throws(() => buildOptions(new URLSearchParams('platform=linux/arm64'), 1.41), NotImplementedError);
    assert.doesNotThrow(() => buildOptions(new URLSearchParams('platform=linux/arm64'), 1.31));
  });
});
