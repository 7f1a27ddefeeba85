import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError } from '../../core/errors.js';
import { cleanInRoot, resolveInRoot } from './resolve-in-root.js';

describe('cleanInRoot', () => {
  it('makes every name relative to the root', () => {
    assert.equal(cleanInRoot('/etc/passwd'), 'etc/passwd');
    assert.equal(cleanInRoot('./usr/bin/'), 'usr/bin');
    assert.equal(cleanInRoot('a//b/./c'), 'a/b/c');
  });

  it('resolves .. lexically without climbing above the root', () => {
    assert.equal(cleanInRoot('../../escape'), 'escape');
    assert.equal(cleanInRoot('a/b/../../../c'), 'c');
    assert.equal(cleanInRoot('a/../b'), 'b');
  });

  it('returns an empty string for the root itself', () => {
    for (const name of ['', '.', './', '/', '..', '../..', 'a/..']) assert.equal(cleanInRoot(name), '', name);
  });

  it('rejects names with NUL', () => {
    assert.throws(() => cleanInRoot('a\0b'), InvalidParameterError);
  });
});

describe('resolveInRoot', () => {
  let base: string;
  let root: string;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-test-snap-'));
    root = join(base, 'root');
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await writeFile(join(root, 'usr/lib/file'), '');
    await symlink('/', join(root, 'to-root'));
    await symlink('../../..', join(root, 'usr/up'));
    await symlink('/etc', join(root, 'abs-etc'));
    await symlink('usr/lib', join(root, 'rel-lib'));
    await symlink('/rel-lib', join(root, 'chained'));
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    await symlink('usr/lib/file', join(root, 'to-file'));
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('keeps plain and missing paths as they are', async () => {
    assert.equal(await resolveInRoot(root, 'usr/lib'), join(root, 'usr/lib'));
    assert.equal(await resolveInRoot(root, 'missing/a/b'), join(root, 'missing/a/b'));
    assert.equal(await resolveInRoot(root, ''), root);
  });

  it('re-roots absolute symlink targets', async () => {
    assert.equal(await resolveInRoot(root, 'to-root'), root);
    assert.equal(await resolveInRoot(root, 'to-root/escaped'), join(root, 'escaped'));
    assert.equal(await resolveInRoot(root, 'abs-etc/passwd'), join(root, 'etc/passwd'));
  });

  it('stops .. in symlink targets and in the path at the root', async () => {
    assert.equal(await resolveInRoot(root, 'usr/up/escaped'), join(root, 'escaped'));
    assert.equal(await resolveInRoot(root, '../../x'), join(root, 'x'));
    assert.equal(await resolveInRoot(root, '/usr/../../../x'), join(root, 'x'));
  });

  it('follows relative and chained symlinks, the last component included', async () => {
    assert.equal(await resolveInRoot(root, 'rel-lib/file'), join(root, 'usr/lib/file'));
    assert.equal(await resolveInRoot(root, 'chained'), join(root, 'usr/lib'));
    assert.equal(await resolveInRoot(root, 'to-file'), join(root, 'usr/lib/file'));
  });

  it('applies .. after following a symlink, as the kernel does', async () => {
    // rel-lib -> usr/lib, so rel-lib/.. is usr, not the root.
    assert.equal(await resolveInRoot(root, 'rel-lib/../x'), join(root, 'usr/x'));
  });

  it('keeps components below a regular file for the caller to fail on', async () => {
    assert.equal(await resolveInRoot(root, 'usr/lib/file/x'), join(root, 'usr/lib/file/x'));
  });

  it('fails on symlink loops', async () => {
    await assert.rejects(resolveInRoot(root, 'loop-a/x'), InvalidParameterError);
  });
});
