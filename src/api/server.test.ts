import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/logger.js';
import { createApiServer } from './server.js';
import { sendJson } from './http-context.js';

test('activity: busy when the first request begins, idle when the last in flight ends', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-server-test-'));
  const events: string[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const server = createApiServer({
    routes: [
      { method: 'GET', path: '/slow', handler: async (ctx) => { await gate; sendJson(ctx.res, 200, {}); } },
      { method: 'GET', path: '/fast', handler: async (ctx) => sendJson(ctx.res, 200, {}) },
    ],
    log: silentLogger(),
    serverName: 'test',
    activity: { busy: () => events.push('busy'), idle: () => events.push('idle') },
  });
  const socketPath = join(dir, 's.sock');
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      request({ socketPath, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject).end();
    });
  try {
    const slow = get('/v1.50/slow');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await get('/v1.50/fast'), 200);
    assert.deepEqual(events, ['busy'], 'the slow request is still in flight');
    release();
    assert.equal(await slow, 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, ['busy', 'idle']);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});
