import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { buildkitAttrsFromQuery, buildOptions } from './build.js';

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

describe('buildkitAttrsFromQuery (POST /build?version=2 from docker CLIs before buildx)', () => {
  it('turns the query into the Dockerfile frontend attributes', () => {
    const q = new URLSearchParams('version=2&remote=client-session&session=s1&buildid=b1&dockerfile=sub%2FDf&t=a&t=b%3A2&target=t1&nocache=1&buildargs=%7B%22X%22%3A%221%22%2C%22Y%22%3Anull%7D&labels=%7B%22l%22%3A%22v%22%7D&networkmode=host&extrahosts=h%3A1.2.3.4&shmsize=1048576');
    assert.deepEqual(buildkitAttrsFromQuery(q), {
      attrs: { filename: 'sub/Df', target: 't1', 'no-cache': '', 'build-arg:X': '1', 'label:l': 'v', 'force-network-mode': 'host', 'add-hosts': 'h:1.2.3.4', 'shm-size': '1048576' },
      tags: ['a', 'b:2'],
      session: 's1',
      buildId: 'b1',
    });
  });
  it('refuses a context that is not in the session, and a build without a session, naming what to do', () => {
    assert.throws(() => buildkitAttrsFromQuery(new URLSearchParams('version=2&session=s1&remote=https://x/c.tar')), (e: unknown) => e instanceof NotImplementedError && /DOCKER_BUILDKIT=0/.test(e.message));
    assert.throws(() => buildkitAttrsFromQuery(new URLSearchParams('version=2&remote=client-session')), (e: unknown) => e instanceof InvalidParameterError && /session/.test(e.message));
  });
});
