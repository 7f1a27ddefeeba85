import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceTree } from './build-context.js';
import { parseRunMount, runMountPlan } from './run-mounts.js';

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
    // ssh: BuildKit's default id; the default target is given by the mount's place in the step.
    assert.deepEqual([parseRunMount('type=ssh').fields.get('id'), parseRunMount('type=ssh').target], ['default', '']);
    assert.equal(parseRunMount('type=ssh,id=work,target=/agent').fields.get('id'), 'work');
  });

  test('bad mounts are refused with a reason', () => {
    assert.throws(() => parseRunMount('type=cache'), /mount destination \(target\) is required/);
    assert.throws(() => parseRunMount('type=nfs,target=/x'), /unsupported mount type "nfs"/);
    assert.throws(() => parseRunMount('type=secret'), /requires an id or a target/);
    assert.throws(() => parseRunMount('target=/x,bogus'), /invalid field 'bogus'/);
  });

  test('an ssh mount without a session (the legacy builder) is refused, naming buildx', async () => {
    await assert.rejects(runMountPlan([parseRunMount('type=ssh')], null as unknown as SourceTree, '/nonexistent'), /type=ssh is not supported with the legacy builder: build with docker buildx/);
  });

  test('a secret mount without a secret source (the legacy builder) is refused, naming BuildKit', async () => {
    await assert.rejects(runMountPlan([parseRunMount('type=secret,id=x')], null as unknown as SourceTree, '/nonexistent'), /type=secret is not supported by this Berth version yet with the legacy builder: build with docker buildx/);
  });

  test('a missing secret fails only when required; its value is never part of the cache key', async () => {
    const none = { secret: async () => null, dir: '/nonexistent' };
    await assert.rejects(runMountPlan([parseRunMount('type=secret,id=x,required')], null as unknown as SourceTree, '/nonexistent', none), /secret x: not found/);
    const plan = await runMountPlan([parseRunMount('type=secret,id=tok,env=TOKEN')], null as unknown as SourceTree, '/nonexistent', { secret: async () => Buffer.from('s3cr3t'), dir: '/nonexistent' });
    assert.deepEqual(plan.env, ['TOKEN=s3cr3t']);
    assert.deepEqual(plan.mounts, []);
    assert.ok(!plan.key.join().includes('s3cr3t'));
  });
});
