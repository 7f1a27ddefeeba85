import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHost } from './engine-client.js';

describe('default daemon socket', () => {
  it('the CLI looks for the user\'s own daemon unless it is root', () => {
    assert.equal(defaultHost(1000, '/run/user/1000/'), 'unix:///run/user/1000/berth/berth.sock');
    assert.equal(defaultHost(0, '/run/user/0'), 'unix:///run/berth/berth.sock');
    assert.equal(defaultHost(1000, undefined), 'unix:///run/berth/berth.sock');
  });

});
