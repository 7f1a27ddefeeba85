import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionHeaders } from './client-sessions.js';

test('sessionHeaders: reads the session buildx announces; repeated method headers arrive joined by Node', () => {
  const h: Record<string, string> = {
    'x-docker-expose-session-uuid': 'abc',
    'x-docker-expose-session-name': 'ctx',
    'x-docker-expose-session-sharedkey': '',
    'x-docker-expose-session-grpc-method': '/grpc.health.v1.Health/Check, /moby.filesync.v1.FileSync/DiffCopy',
  };
  assert.deepEqual(sessionHeaders((n) => h[n]), { id: 'abc', name: 'ctx', sharedKey: '', methods: ['/grpc.health.v1.Health/Check', '/moby.filesync.v1.FileSync/DiffCopy'] });
});

test('sessionHeaders: a session without its UUID is refused with what is missing', () => {
  assert.throws(() => sessionHeaders(() => undefined), /X-Docker-Expose-Session-Uuid/);
});
