import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHost, EngineClient } from './engine-client.js';

describe('default daemon socket', () => {
  it('the CLI looks for the user\'s own daemon unless it is root', () => {
    assert.equal(defaultHost(1000, '/run/user/1000/'), 'unix:///run/user/1000/berth/berth.sock');
    assert.equal(defaultHost(0, '/run/user/0'), 'unix:///run/berth/berth.sock');
    assert.equal(defaultHost(1000, undefined), 'unix:///run/berth/berth.sock');
  });

});

describe('a pinned API version (DOCKER_API_VERSION)', () => {
  it('is used as given, with or without a leading v, and nothing is negotiated', async () => {
    // The socket does not exist: a negotiation would fail to connect.
    assert.equal(await new EngineClient('/nonexistent/berth.sock', '1.41').apiVersion(), '1.41');
    assert.equal(await new EngineClient('/nonexistent/berth.sock', 'v1.44').apiVersion(), '1.44');
  });

  it('is refused when it is not MAJOR.MINOR, naming the variable', () => {
    for (const bad of ['abc', '1', '1.41.0', '2.0', 'v1']) {
      assert.throws(() => new EngineClient('/x', bad), /\(DOCKER_API_VERSION\) is not one: give it as MAJOR\.MINOR/, bad);
    }
  });

  it('is not pinned when empty (docker ignores an empty DOCKER_API_VERSION)', async () => {
    await assert.rejects(new EngineClient('/nonexistent/berth.sock', '').apiVersion());
  });
});
