import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStrings } from './compare.js';

test('strings sort by code unit, as Go sorts them: upper case before lower, digits first', () => {
  assert.deepEqual(['web', 'Web', 'db-2', 'db-10', '_x', 'a'].sort(compareStrings), ['Web', '_x', 'a', 'db-10', 'db-2', 'web']);
  assert.equal(compareStrings('same', 'same'), 0);
});

test('the empty string comes first', () => {
  assert.equal(compareStrings('', 'a'), -1);
  assert.equal(compareStrings('a', ''), 1);
});
