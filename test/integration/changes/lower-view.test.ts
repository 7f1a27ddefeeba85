import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../src/core/run-command.js';
import { LowerView, type LowerDir } from '../../../src/drivers/snapshotter/diff/lower-view.js';
import { makeChangesTestDir, removeChangesTestDir } from './changes-fixture.js';

/** Builds one layer dir: `name/` directories, `name=content` files, `name!` whiteouts, `name/#` opaque. */
async function layer(dir: string, spec: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const item of spec) {
    const path = join(dir, item.replace(/[/!#]+$|=.*$/, ''));
    if (item.endsWith('/#')) {
      await mkdir(path, { recursive: true });
      await runCommand('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path]);
    } else if (item.endsWith('/')) await mkdir(path, { recursive: true });
    else if (item.endsWith('!')) await runCommand('mknod', [path, 'c', '0', '0']);
    else await writeFile(path, item.split('=')[1] ?? '');
  }
}

/** `path kind size` of a tree as the kernel's overlay shows it. */
async function mountedTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const st = await lstat(join(dir, name));
    out.push(`${prefix}${name} ${st.isDirectory() ? 'dir' : `file ${st.size}`}`);
    if (st.isDirectory()) out.push(...(await mountedTree(join(dir, name), `${prefix}${name}/`)));
  }
  return out;
}

/** The same listing from LowerView, never mounting anything. */
async function viewTree(view: LowerView, dir: LowerDir, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of [...(await view.names(dir))].sort()) {
    const entry = await view.lookup(dir, name);
    assert.ok(entry, `${prefix}${name} is listed, so it can be looked up`);
    out.push(`${prefix}${name} ${entry.dir ? 'dir' : `file ${entry.meta.size}`}`);
    if (entry.dir) out.push(...(await viewTree(view, entry.dir, `${prefix}${name}/`)));
  }
  return out;
}

describe('LowerView', () => {
  let base: string | undefined;

  before(async () => {
    base = await makeChangesTestDir();
  });

  after(async () => {
    await removeChangesTestDir(base);
  });

  it('merges layer dirs exactly as a read-only overlay mount of them does', async () => {
    const dir = base ?? '';
    await layer(join(dir, 'l3'), ['a/', 'a/x=bottom', 'a/y=y', 'a/sub/', 'a/sub/z=z', 'f=file', 'd/', 'd/k=k', 'w/', 'w/q=q', 'o/', 'o/old=old', 'm/', 'm/deep=1']);
    await layer(join(dir, 'l2'), ['a/', 'a/y2=y2', 'a/sub!', 'f/', 'f/in=in', 'd!', 'o/#', 'o/new=new', 'm/', 'm/deep!']);
    await layer(join(dir, 'l1'), ['a/', 'a/x=topmost', 'w=now a file', 'd/', 'd/new1=n', 'a/sub/', 'a/sub/again=again', 'm/']);
    const lowers = ['l1', 'l2', 'l3'].map((l) => join(dir, l));
    const merged = join(dir, 'merged');
    await mkdir(merged);
    await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')}`, merged]);
    try {
      const view = new LowerView(lowers);
      const expected = await mountedTree(merged);
      assert.deepEqual(await viewTree(view, view.root), expected);
      // Spot checks of the rules, so a kernel change cannot make the comparison above vacuous.
      assert.ok(expected.includes('a/x file 7') && expected.includes('a/sub/again file 5') && !expected.includes('a/sub/z file 1'));
      assert.ok(expected.includes('f/in file 2') && expected.includes('w file 10') && expected.includes('d/new1 file 1'));
      assert.ok(!expected.some((l) => l.startsWith('d/k ') || l.startsWith('o/old ') || l.startsWith('m/deep ')));
    } finally {
      await runCommand('umount', [merged]);
    }
  });
});
