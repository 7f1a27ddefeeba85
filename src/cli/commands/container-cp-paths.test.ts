import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodePathStat, getRebaseName, isDirMode, isSymlinkMode, prepareArchiveCopy, preserveTrailingDotOrSeparator, rebaseName, splitCpArg,
  splitPathDirEntry,
} from './container-cp-paths.js';

test('splitCpArg: CONTAINER:PATH, absolute and ./ local paths keep their colons', () => {
  assert.deepEqual(splitCpArg('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
  assert.deepEqual(splitCpArg('/tmp/a:b'), { container: '', path: '/tmp/a:b' });
  assert.deepEqual(splitCpArg('./a:b'), { container: '', path: './a:b' });
  assert.deepEqual(splitCpArg('file'), { container: '', path: 'file' });
  assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
});

test('splitPathDirEntry and trailing / and /. preservation', () => {
  assert.deepEqual(splitPathDirEntry('/a/b'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
  assert.equal(preserveTrailingDotOrSeparator('/x/y', 'y/.'), '/x/y/.');
  assert.equal(preserveTrailingDotOrSeparator('/x/y', 'y/'), '/x/y/');
  assert.equal(preserveTrailingDotOrSeparator('/x/y', 'y'), '/x/y');
});

const file = (path: string, exists = true) => ({ path, exists, isDir: false });
const dir = (path: string, exists = true) => ({ path, exists, isDir: true });

test('prepareArchiveCopy: into an existing directory, nothing is renamed', () => {
  assert.deepEqual(prepareArchiveCopy(file('/src/a.txt'), dir('/dst')), { dstDir: '/dst' });
  assert.deepEqual(prepareArchiveCopy(dir('/src/d'), dir('/dst')), { dstDir: '/dst' });
});

test('prepareArchiveCopy: a file onto a new or existing file name is renamed to it', () => {
  assert.deepEqual(prepareArchiveCopy(file('/src/a.txt'), file('/dst/b.txt', false)), { dstDir: '/dst', rebase: { from: 'a.txt', to: 'b.txt' } });
  assert.deepEqual(prepareArchiveCopy(file('/src/a.txt'), file('/dst/b.txt')), { dstDir: '/dst', rebase: { from: 'a.txt', to: 'b.txt' } });
});

test('prepareArchiveCopy: a directory to a new name, and SRC/. contents', () => {
  assert.deepEqual(prepareArchiveCopy(dir('/src/d'), file('/dst/new', false)), { dstDir: '/dst', rebase: { from: 'd', to: 'new' } });
  assert.deepEqual(prepareArchiveCopy(dir('/src/d/.'), file('/dst/new', false)), { dstDir: '/dst', rebase: { from: '.', to: 'new' } });
});

test('prepareArchiveCopy: docker errors', () => {
  assert.throws(() => prepareArchiveCopy(dir('/src/d'), file('/dst/f')), /cannot copy directory/);
  assert.throws(() => prepareArchiveCopy(file('/src/a'), file('/dst/newdir/', false)), /no such directory/);
});

test('getRebaseName: a followed symlink keeps the name and trailing markers the user gave', () => {
  assert.deepEqual(getRebaseName('/link', '/real/target'), { resolved: '/real/target', rebaseName: 'link' });
  assert.deepEqual(getRebaseName('/link/', '/real/target'), { resolved: '/real/target/', rebaseName: 'link' });
  assert.deepEqual(getRebaseName('/same', '/x/same'), { resolved: '/x/same', rebaseName: '' });
});

test('rebaseName replaces the first element only; the root rebases as the empty string', () => {
  assert.equal(rebaseName('d/sub/d', 'd', 'new'), 'new/sub/d');
  assert.equal(rebaseName('./file.txt', '.', 'new'), 'new/file.txt');
  assert.equal(rebaseName('/bin', '/', 'root'), 'root/bin');
});

test('stat header: base64 JSON with unsigned Go FileMode bits', () => {
  const raw = { name: 'etc', size: 4096, mode: 2 ** 31 + 0o755, mtime: '2024-01-01T00:00:00Z', linkTarget: '' };
  const st = decodePathStat(Buffer.from(JSON.stringify(raw)).toString('base64'));
  assert.ok(st && isDirMode(st.mode) && !isSymlinkMode(st.mode));
  assert.ok(isSymlinkMode(2 ** 27 + 0o777));
  assert.equal(decodePathStat(undefined), undefined);
});
