import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BuildOptions } from './build-options.js';
import { namedContextFor } from './build-options.js';

describe('named contexts', () => {
  const image = { image: 'sha256:aa' as const, ref: 'busybox:1.36' };
  const opts = { namedContexts: new Map([['alpine', image]]) } as unknown as BuildOptions;

  test('found by the name as written or its familiar form without :latest', () => {
    assert.equal(namedContextFor(opts, 'alpine'), image);
    assert.equal(namedContextFor(opts, 'ALPINE'), image);
    assert.equal(namedContextFor(opts, 'docker.io/library/alpine:latest'), image);
    assert.equal(namedContextFor(opts, 'alpine:3.19'), undefined);
    assert.equal(namedContextFor({} as BuildOptions, 'alpine'), undefined);
  });
});
