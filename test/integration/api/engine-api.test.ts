import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { readAll } from '../../../src/client/engine-client.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawRequest(socketPath: string, method: string, path: string, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Engine API core', () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start();
  });
  after(async () => {
    await d?.stop();
  });

  test('HEAD and GET /_ping carry docker headers', async () => {
    for (const method of ['HEAD', 'GET']) {
      const r = await rawRequest(d.socket, method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.50');
      assert.equal(r.headers['ostype'], 'linux');
      // BuildKit's API (/grpc, /session) is served: buildx and compose build through it.
      assert.equal(r.headers['builder-version'], '2');
      const date = String(r.headers['date']);
      assert.match(date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/, 'an HTTP date');
      assert.ok(Math.abs(Date.parse(date) - Date.now()) < 5000, `the Date header is now: ${date}`);
      if (method === 'GET') assert.equal(r.body, 'OK');
    }
  });

  test('versioned and unversioned paths both answer /version', async () => {
    for (const path of ['/version', '/v1.50/version', '/v1.24/version', '/v1.44/version']) {
      const r = await rawRequest(d.socket, 'GET', path);
      assert.equal(r.status, 200, path);
      const v = JSON.parse(r.body) as { ApiVersion: string; MinAPIVersion: string; Os: string };
      assert.equal(v.ApiVersion, '1.50');
      assert.equal(v.MinAPIVersion, '1.24');
      assert.equal(v.Os, 'linux');
    }
  });

  test('API versions outside the supported range are a 400 with docker\'s message', async () => {
    const tooNew = await rawRequest(d.socket, 'GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.equal(tooNew.headers['content-type'], 'application/json');
    assert.match(JSON.parse(tooNew.body).message, /client version 1\.99 is too new\. Maximum supported API version is 1\.50/);
    const tooOld = await rawRequest(d.socket, 'GET', '/v1.12/version');
    assert.equal(tooOld.status, 400);
    assert.match(JSON.parse(tooOld.body).message, /too old\. Minimum supported API version is 1\.24/);
  });

  test('unknown routes are a JSON 404', async () => {
    const r = await rawRequest(d.socket, 'GET', '/v1.50/nothing/here');
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(r.body).message, 'page not found');
  });

  test('/info describes the daemon', async () => {
    const r = await rawRequest(d.socket, 'GET', '/v1.50/info');
    assert.equal(r.status, 200);
    const info = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.ok(['overlay2', 'vfs'].includes(String(info.Driver)));
    assert.equal(info.OSType, 'linux');
    assert.equal(typeof info.NCPU, 'number');
    assert.ok(['1', '2'].includes(String(info.CgroupVersion)));
  });

  test('malformed filters are a 400 naming the problem', async () => {
    const r = await rawRequest(d.socket, 'GET', '/v1.50/images/json?filters=%7Bnot-json');
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /invalid filter/);
    const bad = await rawRequest(d.socket, 'GET', `/v1.50/images/json?filters=${encodeURIComponent('{"nope":{"x":true}}')}`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message, /invalid filter 'nope'/);
  });

  test('a missing image is a 404 "No such image"', async () => {
    const r = await rawRequest(d.socket, 'GET', '/v1.50/images/no-such-image/json');
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).message, 'No such image: no-such-image:latest');
    const del = await rawRequest(d.socket, 'DELETE', '/v1.50/images/no-such-image');
    assert.equal(del.status, 404);
    // The router decodes the name once; a second decoding made "%" a URIError and a 500.
    const odd = await rawRequest(d.socket, 'GET', '/v1.50/images/a%25b/json');
    assert.notEqual(odd.status, 500, odd.body);
    assert.match(JSON.parse(odd.body).message, /a%b/);
  });

  test('import through the API, then tag with an invalid reference is a 400', async () => {
    const p = pack();
    p.entry({ name: 'hello.txt' }, 'hi\n');
    p.finalize();
    const res = await d.client.raw({ method: 'POST', path: '/images/create', query: { fromSrc: '-', repo: 'apitest', tag: 'v1' }, stream: p as unknown as Readable });
    const out = (await readAll(res)).toString();
    const id = (JSON.parse(out.trim()) as { status: string }).status;
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const bad = await rawRequest(d.socket, 'POST', '/v1.50/images/apitest:v1/tag?repo=UPPER');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message, /must be lowercase/);
    const good = await rawRequest(d.socket, 'POST', '/v1.50/images/apitest:v1/tag?repo=localhost:5000/a/b&tag=x');
    assert.equal(good.status, 201);
    const inspect = await rawRequest(d.socket, 'GET', '/v1.50/images/localhost:5000/a/b:x/json');
    assert.equal(inspect.status, 200);
    assert.equal(JSON.parse(inspect.body).Id, id);
  });
});
