import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { CLI_DOC, generateCliDocs } from '../../scripts/gen-cli-docs.js';

test('docs/cli.md matches the CLI definitions (run `npm run docs:cli` after changing commands)', async () => {
  const actual = await readFile(CLI_DOC, 'utf8');
  assert.equal(actual, await generateCliDocs());
  assert.match(actual, /### berth image ls/);
  assert.match(actual, /`-q, --quiet`/);
});
