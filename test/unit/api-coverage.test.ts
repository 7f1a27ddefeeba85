import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { COVERAGE_DOC, ENDPOINTS_MODULE, generateCoverage, generateEndpointTable } from '../../scripts/gen-api-coverage.js';
import { allRouteDefinitions } from '../../src/api/route-table.js';

test('docs/api-coverage.md matches the route table (run `npm run docs:api` after adding routes)', async () => {
  const expected = await generateCoverage();
  const actual = await readFile(COVERAGE_DOC, 'utf8');
  assert.equal(actual, expected);
  assert.match(actual, /\| GET \| `\/images\/json` \| done \|/);
  assert.match(actual, /\| POST \| `\/images\/\{name\}\/push` \| done \|/);
  // Field states come from the code: create-request's key sets and the handlers' reads.
  assert.match(actual, /\| `HostConfig\.Memory` \| body \| done \|/);
  assert.match(actual, /\| `HostConfig\.PortBindings` \| body \| done \|/);
  assert.match(actual, /\| `HostConfig\.Links` \| body \| done \|/);
  assert.match(actual, /\| `Shell` \| body \| refused \(501\) \|/);
  assert.match(actual, /\| `all` \| query \| done \|/);
});

test("every route of Berth's own API says what it answers, and the coverage lists it", async () => {
  const own = allRouteDefinitions().filter((r) => r.path.startsWith('/berth/v1/'));
  assert.ok(own.length >= 9, `only ${own.length} /berth/v1 routes found`);
  assert.deepEqual(own.filter((r) => !r.summary).map((r) => r.path), []);
  const doc = await readFile(COVERAGE_DOC, 'utf8');
  for (const r of own) assert.ok(doc.includes(`| ${r.method} | \`${r.path.replace(/:(\w+)/g, '{$1}')}\` | ${r.summary ?? ''} |`), r.path);
});

test('src/api/engine-endpoints.ts matches the swagger (run `npm run docs:api`)', async () => {
  assert.equal(await readFile(ENDPOINTS_MODULE, 'utf8'), await generateEndpointTable());
});
