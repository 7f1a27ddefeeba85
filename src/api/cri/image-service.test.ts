import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsOf } from './image-service.js';

describe('CRI AuthConfig as registry credentials', () => {
  it('takes username and password, or auth as base64 of user:password', () => {
    assert.deepEqual(credentialsOf({ username: 'u', password: 'p' }), { username: 'u', password: 'p' });
    assert.deepEqual(credentialsOf({ auth: Buffer.from('me:se:cret').toString('base64') }), { username: 'me', password: 'se:cret' });
    assert.deepEqual(credentialsOf({ identity_token: 'tok' }), { identitytoken: 'tok' });
  });

  it('gives none for an empty config, and refuses an auth without a colon', () => {
    assert.equal(credentialsOf(null), undefined);
    assert.equal(credentialsOf({ username: '', password: '' }), undefined);
    assert.throws(() => credentialsOf({ auth: Buffer.from('nocolon').toString('base64') }), /not base64 of "user:password"/);
  });
});
