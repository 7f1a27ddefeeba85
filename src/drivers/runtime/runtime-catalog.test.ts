import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountToHideOnCreate, RuntimeCatalog } from './runtime-catalog.js';

test('crun creates without the cgroup2 mount only on a hybrid host whose cgroup2 holds controllers', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-root-'));
  try {
    assert.equal(await mountToHideOnCreate('crun', root), undefined, 'no cgroup2 mount: a plain v1 host');
    await mkdir(join(root, 'unified'));
    await writeFile(join(root, 'unified', 'cgroup.controllers'), '\n');
    assert.equal(await mountToHideOnCreate('crun', root), undefined, 'an empty cgroup2 mount is fine for crun');
    await writeFile(join(root, 'unified', 'cgroup.controllers'), 'hugetlb\n');
    assert.equal(await mountToHideOnCreate('crun', root), join(root, 'unified'));
    assert.equal(await mountToHideOnCreate('runc', root), undefined, 'runc handles hybrid hosts itself');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the catalog hands out one runtime seam per runtime name, the default for an empty name', () => {
  const catalog = new RuntimeCatalog('/nonexistent-exec-root', 'runc', () => undefined);
  const runc = catalog.runtime('');
  assert.equal(runc.name, 'runc');
  assert.equal(catalog.runtime('runc'), runc, 'the seam remembers its containers: one per name');
  assert.equal(catalog.runtime('crun').name, 'crun');
  assert.throws(() => catalog.runtime('nosuch'), /unknown or invalid runtime name: nosuch/);
});
