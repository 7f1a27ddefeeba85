import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { envFromList, processWord, processWords } from './shell-lex.js';

/** The substitution cases of Docker's Dockerfile reference ("Environment replacement"), one per row. */
const env = envFromList(['NAME=world', 'EMPTY=', 'PATHY=/usr/bin', 'SPACED=a b']);
const CASES: Array<[string, string]> = [
  ['$NAME', 'world'],
  ['${NAME}', 'world'],
  ['hello-${NAME}-!', 'hello-world-!'],
  ['${UNSET}', ''],
  ['${UNSET:-default}', 'default'],
  ['${EMPTY:-default}', 'default'],
  ['${EMPTY-default}', ''],
  ['${UNSET-default}', 'default'],
  ['${NAME:-default}', 'world'],
  ['${NAME:+alt}', 'alt'],
  ['${EMPTY:+alt}', ''],
  ['${EMPTY+alt}', 'alt'],
  ['${UNSET:+alt}', ''],
  ['${UNSET:-${NAME}}', 'world'],
  ['\\$NAME', '$NAME'],
  ['\\${NAME}', '${NAME}'],
  ["'$NAME'", '$NAME'],
  ['"$NAME"', 'world'],
  ['"\\$NAME"', '$NAME'],
  ['"a\\b"', 'a\\b'],
  ['a\\ b', 'a b'],
  ['$', '$'],
  ['$1abc', 'abc'],
  ['${PATHY}:/bin', '/usr/bin:/bin'],
  ['"${SPACED}"', 'a b'],
  ['"quoted \'single\'"', "quoted 'single'"],
];

describe('variable substitution (docker documentation table)', () => {
  for (const [word, want] of CASES) {
    test(`${word} → ${JSON.stringify(want)}`, () => assert.equal(processWord(word, env), want));
  }

  test('the backtick escape token', () => {
    assert.equal(processWord('c:`$NAME', env, '`'), 'c:$NAME');
    assert.equal(processWord('c:\\dir', env, '`'), 'c:\\dir');
  });

  test('${VAR:?message} fails when unset; unterminated quotes fail', () => {
    assert.throws(() => processWord('${UNSET:?must be set}', env), /UNSET: must be set/);
    assert.equal(processWord('${NAME:?x}', env), 'world');
    assert.throws(() => processWord("'open", env), /matching single-quote/);
    assert.throws(() => processWord('"open', env), /matching double-quote/);
    assert.throws(() => processWord('${}', env), /bad substitution/);
  });

  test('word splitting keeps quoted spaces', () => {
    assert.deepEqual(processWords('a "b c" $SPACED d\\ e', env), ['a', 'b c', 'a', 'b', 'd e']);
  });
});
