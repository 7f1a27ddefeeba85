import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERRORS_DOC, errorClasses, generateErrorsDoc } from '../../scripts/gen-errors-doc.js';

test('docs/errors.md lists every typed error with its status (run `npm run docs:errors` after adding one)', async () => {
  const actual = await readFile(ERRORS_DOC, 'utf8');
  assert.equal(actual, await generateErrorsDoc());
  assert.match(actual, /\| `NotFoundError` \| 404 \| 5 \|/);
  assert.match(actual, /\| `RemoveRunningError` \| `ConflictError` \| 409 \|/);
});

test('the scan finds error classes through their bases', async () => {
  const names = (await errorClasses()).map((c) => c.name);
  for (const n of ['BerthError', 'ConflictError', 'RemoveRunningError', 'TarFormatError', 'ApiError']) assert.ok(names.includes(n), n);
  assert.ok(!names.includes('ContainerService'));
});
