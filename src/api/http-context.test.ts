import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { InvalidParameterError } from '../core/errors.js';
import { queryBool, queryFilters, readJsonBody } from './http-context.js';
import { statusForError } from './errors.js';

const body = (text: string): IncomingMessage => Readable.from([Buffer.from(text)]) as unknown as IncomingMessage;

test('malformed JSON bodies are a 400 that names the problem', async () => {
  await assert.rejects(readJsonBody(body('{"Image": ')), (err: unknown) => {
    assert.ok(err instanceof InvalidParameterError);
    assert.match(err.message, /invalid JSON in request body/);
    assert.equal(statusForError(err), 400);
    return true;
  });
  assert.deepEqual(await readJsonBody(body('{"a":1}')), { a: 1 });
  assert.equal(await readJsonBody(body('  ')), undefined);
});

test('query booleans and filters follow docker', () => {
  assert.equal(queryBool(new URLSearchParams('all=1'), 'all'), true);
  assert.equal(queryBool(new URLSearchParams('all=True'), 'all'), true);
  assert.equal(queryBool(new URLSearchParams('all=0'), 'all'), false);
  assert.equal(queryBool(new URLSearchParams(''), 'all'), false);
  assert.throws(() => queryBool(new URLSearchParams('all=maybe'), 'all'), InvalidParameterError);
  assert.deepEqual(queryFilters(new URLSearchParams(`filters=${encodeURIComponent('{"label":{"a=b":true},"dangling":["true"]}')}`)), { label: ['a=b'], dangling: ['true'] });
  assert.throws(() => queryFilters(new URLSearchParams('filters=nope')), /invalid filter/);
});
