import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, readIgnoreFile } from './dockerignore.js';

const m = (text: string): IgnoreMatcher => new IgnoreMatcher(readIgnoreFile(text));

describe('.dockerignore patterns (moby/patternmatcher rules)', () => {
  const CASES: Array<[string, string, boolean]> = [
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['*/*.md', 'docs/README.md', true],
    ['**/*.md', 'a/b/c/README.md', true],
    ['**/*.md', 'README.md', true],
    ['temp?', 'temp1', true],
    ['temp?', 'temp12', false],
    ['node_modules', 'node_modules/x/y.js', true],
    ['/node_modules', 'node_modules/x', true],
    ['./build/', 'build/out.o', true],
    ['a//b/../c', 'a/c', true],
    ['**', 'anything/at/all', true],
    ['dir/**', 'dir/x/y', true],
    ['dir/**', 'dirx', false],
    ['[abc].txt', 'b.txt', true],
    ['[abc].txt', 'd.txt', false],
    ['file.txt', 'file_txt', false],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
  ];
  for (const [pattern, path, want] of CASES) {
    test(`${pattern} ${want ? 'excludes' : 'keeps'} ${path}`, () => assert.equal(m(pattern).excludes(path), want));
  }

  test('! re-includes, the last matching line wins, comments and blanks are skipped', () => {
    const ig = m('# logs\n*.log\n\n!important.log\n  spaced.txt  \n');
    assert.equal(ig.excludes('debug.log'), true);
    assert.equal(ig.excludes('important.log'), false);
    assert.equal(ig.excludes('spaced.txt'), true);
    assert.equal(ig.hasExclusions, true);
    const order = m('!keep.log\n*.log\n');
    assert.equal(order.excludes('keep.log'), true);
  });

  test('an excluded directory excludes what is under it unless re-included', () => {
    const ig = m('logs\n!logs/important.log\n');
    assert.equal(ig.excludes('logs/x.log'), true);
    assert.equal(ig.excludes('logs/important.log'), false);
    assert.equal(ig.excludes('logs'), true);
  });
});
