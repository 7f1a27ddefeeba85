import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carrySource, noteStepLines, noteStepSource, stepSourceOf } from './step-source.js';

test('step source: the innermost instruction wins, the Dockerfile is named once the build fails, and it follows a replacing error', () => {
  const err = new Error('COPY failed');
  noteStepLines(err, { startLine: 3, endLine: 4 });
  noteStepLines(err, { startLine: 1, endLine: 1 }); // the FROM around an ONBUILD trigger: not the place
  assert.equal(stepSourceOf(err), undefined, 'no file yet');
  noteStepSource(err, 'Dockerfile', 'FROM x\n\nCOPY a \\\n  /b\n');
  assert.deepEqual(stepSourceOf(err), { filename: 'Dockerfile', data: 'FROM x\n\nCOPY a \\\n  /b\n', startLine: 3, endLine: 4 });
  const replaced = new Error('process … exit code: 3');
  carrySource(err, replaced);
  assert.deepEqual(stepSourceOf(replaced), stepSourceOf(err));
});

test('step source: an error from no instruction (context sync, a bad attribute) has none', () => {
  const err = new Error('sync failed');
  noteStepSource(err, 'Dockerfile', 'FROM x\n');
  assert.equal(stepSourceOf(err), undefined);
  noteStepLines('not an object', { startLine: 1, endLine: 1 });
  assert.equal(stepSourceOf('not an object'), undefined);
});
