import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBoard, type StatusResponse } from './solve-progress.js';

test('SolveProgress: a late subscriber gets the whole story; its stream ends with the solve', async () => {
  const board = new ProgressBoard();
  const p = board.open('ref1');
  const step = p.vertex('[1/2] RUN echo hi');
  step.log('hi\n');
  step.done();
  const cached = p.vertex('[2/2] COPY a /a');
  cached.cached();
  const failed = p.vertex('[3/3] RUN exit 3');
  failed.done(new Error('process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'));
  const got: StatusResponse[] = [];
  let ended = false;
  board.open('ref1').subscribe(
    (r) => got.push(r),
    () => (ended = true),
  );
  assert.equal(ended, false);
  board.finish('ref1');
  assert.equal(ended, true);
  const vertexes = got.flatMap((r) => r.vertexes);
  const last = new Map(vertexes.map((v) => [v.digest, v]));
  assert.equal(last.size, 3);
  const [run, copy, fail] = [...last.values()];
  assert.ok(run?.completed && !run.cached && run.error === '');
  assert.ok(copy?.cached && copy.completed);
  assert.match(fail?.error ?? '', /exit code: 3/);
  assert.deepEqual(
    got.flatMap((r) => r.logs).map((l) => [l.vertex, l.msg.toString()]),
    [[run?.digest, 'hi\n']],
  );
});

test('SolveProgress: statuses complete with their vertex; a subscriber after the end gets everything and ends at once', () => {
  const board = new ProgressBoard();
  const p = board.open('ref2');
  const ctx = p.vertex('[internal] load build context');
  ctx.status('transferring context', { current: 10 });
  ctx.status('transferring context', { current: 20 });
  ctx.done();
  board.finish('ref2');
  const got: StatusResponse[] = [];
  let ended = false;
  board.open('ref2').subscribe(
    (r) => got.push(r),
    () => (ended = true),
  );
  assert.equal(ended, true);
  const statuses = got.flatMap((r) => r.statuses);
  assert.deepEqual(statuses.map((s) => [s.ID, s.current, s.completed !== null]), [['transferring context', 10, false], ['transferring context', 20, false], ['transferring context', 20, true]]);
});
