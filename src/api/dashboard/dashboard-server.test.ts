import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../core/logger.js';
import { sendJson } from '../http-context.js';
import type { Route } from '../route.js';
import type { FeedServices } from './live-feeds.js';
import { createDashboardServer, CSP } from './dashboard-server.js';

const TOKEN = 'ab'.repeat(32);

describe('the dashboard server: token, headers, and only the actions its buttons offer', () => {
  let server: Server;
  let dir = '';
  let base = '';
  const called: string[] = [];
  const route = (method: Route['method'], path: string): Route => ({
    method,
    path,
    handler: async ({ res, params }) => {
      called.push(`${method} ${path} ${params.id ?? ''}`.trim());
      sendJson(res, 200, { ok: true });
    },
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hui-dash-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/app.js"></script>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    server = await createDashboardServer({
      token: TOKEN,
      assetsDir: dir,
      routes: [route('GET', '/containers/json'), route('POST', '/containers/create'), route('POST', '/containers/:id/stop'), route('POST', '/containers/:id/exec'), route('DELETE', '/containers/:id')],
      services: { containers: { sampler: { active: 0 } } } as unknown as FeedServices,
      log: createLogger('error'),
      secure: false,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const auth = { Authorization: `Bearer ${TOKEN}` };

  test('401 without the token, with a wrong one, or with a wrong cookie', async () => {
    for (const headers of [{}, { Authorization: `Bearer ${'cd'.repeat(32)}` }, { Cookie: 'berth_ui=nope' }]) {
      const res = await fetch(`${base}/api/containers/json`, { headers });
      assert.equal(res.status, 401);
      assert.match(await res.text(), /berth ui/);
    }
    assert.deepEqual(called, []);
  });

  test('?token= is traded for a cookie and a redirect without it; pages carry the CSP', async () => {
    const res = await fetch(`${base}/containers/abc?token=${TOKEN}&x=1`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/containers/abc?x=1');
    assert.equal(res.headers.get('set-cookie'), `berth_ui=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
    const page = await fetch(`${base}/containers/abc`, { headers: { Cookie: `other=1; berth_ui=${TOKEN}` } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), CSP);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(await page.text(), /src="\/app\.js"/, 'every app path is index.html');
    const js = await fetch(`${base}/app.js`, { headers: auth });
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${base}/missing.js`, { headers: auth })).status, 404);
  });

  test('the Engine API routes: GET, and start/stop/restart/remove with X-Berth-UI; nothing else', async () => {
    assert.equal((await fetch(`${base}/api/containers/json`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${base}/api/containers/c1/stop`, { method: 'POST', headers: auth })).status, 403, 'no X-Berth-UI');
    assert.equal((await fetch(`${base}/api/containers/c1/stop`, { method: 'POST', headers: { ...auth, 'X-Berth-UI': '1' } })).status, 200);
    assert.equal((await fetch(`${base}/api/containers/c1`, { method: 'DELETE', headers: { ...auth, 'X-Berth-UI': '1' } })).status, 200);
    for (const path of ['/api/containers/create', '/api/containers/c1/exec']) {
      const res = await fetch(base + path, { method: 'POST', headers: { ...auth, 'X-Berth-UI': '1' } });
      assert.equal(res.status, 403, path);
      assert.match(((await res.json()) as { message: string }).message, /use the berth CLI/);
    }
    assert.deepEqual(called, ['GET /containers/json', 'POST /containers/:id/stop c1', 'DELETE /containers/:id c1']);
  });
});
