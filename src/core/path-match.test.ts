import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathMatchRegExp, PatternSyntaxError } from './path-match.js';

const m = (pattern: string, name: string): boolean => pathMatchRegExp(pattern).test(name);

test('* and ? stay within one path component, as Go path.Match', () => {
  assert.ok(m('*.txt', 'a.txt'));
  assert.ok(!m('*.txt', 'dir/a.txt'));
  assert.ok(m('dir/*', 'dir/a'));
  assert.ok(m('a?c', 'abc'));
  assert.ok(!m('a?c', 'a/c'));
  assert.ok(m('busybox*', 'busybox:latest'));
  assert.ok(!m('busy', 'busybox'), 'the whole name must match');
});

test('classes, ranges, negation and escapes', () => {
  assert.ok(m('file[0-9].log', 'file7.log'));
  assert.ok(!m('file[0-9].log', 'filex.log'));
  assert.ok(m('x[^0-9]', 'xa') && !m('x[^0-9]', 'x1'));
  assert.ok(m('x[!0-9]', 'xa') && !m('x[!0-9]', 'x1'));
  assert.ok(m('a[\\]]b', 'a]b'));
  assert.ok(m('a\\*b', 'a*b') && !m('a\\*b', 'axb'));
  assert.ok(m('v1.0+x(y)', 'v1.0+x(y)') && !m('v1.0', 'v1x0'), 'RegExp characters are literal');
});

test('an unclosed or empty class is a syntax error', () => {
  assert.throws(() => pathMatchRegExp('a[bc'), PatternSyntaxError);
  assert.throws(() => pathMatchRegExp('a[]b'), PatternSyntaxError);
});
