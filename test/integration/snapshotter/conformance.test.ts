import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../../src/core/errors.js';
import { runCommand } from '../../../src/core/run-command.js';
import { DRIVERS, SnapshotterFixture, describeTree, type DriverCase } from './harness.js';
import { dir, file, hardlink, layerTar, symlink } from './tar-fixture.js';

/** Runs `fn` on a fresh driver and always cleans up, mounts first. */
async function withFixture(driver: DriverCase, fn: (f: SnapshotterFixture) => Promise<void>): Promise<void> {
  const f = await SnapshotterFixture.create(driver);
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

const BASE = [
  dir('etc/'),
  file('etc/hostname', 'base'),
  file('etc/removed', 'x'),
  dir('opq/'),
  file('opq/old1', 'old'),
  dir('opq/sub/'),
  file('opq/sub/old2', 'old'),
  dir('wdir/'),
  file('wdir/inner', 'in'),
  file('keep', 'keep'),
];

const CHILD = [
  file('etc/.wh.removed', ''),
  file('.wh.wdir', ''),
  dir('opq/'),
  file('opq/early', 'same layer, before the marker'),
  file('opq/.wh..wh..opq', ''),
  file('opq/new', 'new'),
  file('etc/hostname', 'child'),
  file('added', 'added'),
];

for (const driver of DRIVERS) {
  describe(`snapshotter conformance: ${driver.name}`, () => {
    it('stacks layers with file, directory and opaque whiteouts', async () => {
      await withFixture(driver, async (f) => {
        assert.deepEqual(await f.snap.createLayer('base', null, await layerTar(BASE)), { size: 4 + 1 + 3 + 3 + 2 + 4 });
        await f.snap.createLayer('child', 'base', await layerTar(CHILD));
        const rootfs = await f.rootfs('c1', 'child');
        assert.deepEqual(await describeTree(rootfs), [
          'added = added',
          'etc/',
          'etc/hostname = child',
          'keep = keep',
          'opq/',
          'opq/early = same layer, before the marker',
          'opq/new = new',
        ]);
        // The base layer alone still shows its own tree.
        assert.deepEqual((await describeTree(await f.rootfs('c0', 'base'))).length, 10);
      });
    });

    it('keeps layers, lists them and removes them', async () => {
      await withFixture(driver, async (f) => {
        await f.snap.createLayer('l1', null, await layerTar([file('a', 'a')]));
        await f.snap.createLayer('l2', 'l1', await layerTar([file('b', 'b')]));
        assert.equal(await f.snap.hasLayer('l1'), true);
        assert.deepEqual(await f.snap.listLayers(), ['l1', 'l2']);
        await assert.rejects(f.snap.createLayer('l1', null, await layerTar([])), ConflictError);
        await assert.rejects(f.snap.createLayer('l3', 'nope', await layerTar([])), NotFoundError);
        await assert.rejects(f.snap.createRootfs('c', 'nope'), NotFoundError);
        await f.snap.removeLayer('l2');
        await f.snap.removeLayer('l2'); // idempotent
        assert.deepEqual(await f.snap.listLayers(), ['l1']);
        assert.deepEqual(await readdir(join(f.root, 'tmp')), []);
      });
    });

    it('preserves hardlinks and symlinks', async () => {
      await withFixture(driver, async (f) => {
        await f.snap.createLayer('l', null, await layerTar([
          dir('etc/'),
          file('etc/data', 'shared'),
          hardlink('etc/data-link', 'etc/data'),
          hardlink('root-link', '/etc/data'),
          symlink('abs', '/etc/data'),
          symlink('rel', 'etc/data'),
          symlink('dangling', '../nowhere'),
        ]));
        const rootfs = await f.rootfs('c', 'l');
        const a = await stat(join(rootfs, 'etc/data'));
        const b = await stat(join(rootfs, 'etc/data-link'));
        assert.equal(a.ino, b.ino);
        assert.equal(a.nlink, 3);
        assert.equal(await readFile(join(rootfs, 'root-link'), 'utf8'), 'shared');
        assert.equal(await readlink(join(rootfs, 'abs')), '/etc/data');
        assert.equal(await readlink(join(rootfs, 'rel')), 'etc/data');
        assert.equal(await readlink(join(rootfs, 'dangling')), '../nowhere');
      });
    });

    it('preserves modes, owners and times', async () => {
      await withFixture(driver, async (f) => {
        const t1 = new Date('2001-01-01T00:00:00Z');
        const t2 = new Date('2002-02-02T00:00:00Z');
        await f.snap.createLayer('l', null, await layerTar([
          dir('tmp/', { mode: 0o1777, mtime: t2 }),
          dir('sgid/', { mode: 0o2750, uid: 7, gid: 8, mtime: t2 }),
          file('sgid/inside', 'x', { mtime: t1 }), // written after its dir: the dir keeps t2
          file('suid', 'x', { mode: 0o4755, uid: 1000, gid: 1001, mtime: t1 }),
          file('big-ids', 'x', { pax: { uid: '3000000', gid: '3000001' } }),
          { name: 'ln', type: 'symlink', linkname: 'suid', uid: 33, gid: 34, mtime: t1 },
        ]));
        const rootfs = await f.rootfs('c', 'l');
        const tmp = await stat(join(rootfs, 'tmp'));
        assert.equal(tmp.mode & 0o7777, 0o1777);
        assert.equal(tmp.mtimeMs, t2.getTime());
        const sgid = await stat(join(rootfs, 'sgid'));
        assert.deepEqual([sgid.mode & 0o7777, sgid.uid, sgid.gid, sgid.mtimeMs], [0o2750, 7, 8, t2.getTime()]);
        const suid = await stat(join(rootfs, 'suid'));
        assert.deepEqual([suid.mode & 0o7777, suid.uid, suid.gid, suid.mtimeMs], [0o4755, 1000, 1001, t1.getTime()]);
        const big = await stat(join(rootfs, 'big-ids'));
        assert.deepEqual([big.uid, big.gid], [3000000, 3000001]);
        const ln = await lstat(join(rootfs, 'ln'));
        assert.deepEqual([ln.uid, ln.gid, ln.mtimeMs], [33, 34, t1.getTime()]);
      });
    });

    it('creates fifos and device nodes, and keeps xattrs', async () => {
      await withFixture(driver, async (f) => {
        await f.snap.createLayer('l', null, await layerTar([
          dir('dev/'),
          { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
          { name: 'dev/loop9', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 9 },
          { name: 'fifo', type: 'fifo', mode: 0o640 },
          file('attrs', 'x', { pax: { 'SCHILY.xattr.user.test': 'hello', 'SCHILY.xattr.user.bin': 'a\u0001b' } }),
        ]));
        const rootfs = await f.rootfs('c', 'l');
        const nul = await lstat(join(rootfs, 'dev/null'));
        assert.ok(nul.isCharacterDevice());
        assert.deepEqual([nul.rdev, nul.mode & 0o7777], [(1 << 8) | 3, 0o666]);
        const loop = await lstat(join(rootfs, 'dev/loop9'));
        assert.ok(loop.isBlockDevice());
        assert.equal(loop.rdev, (7 << 8) | 9);
        const fifo = await lstat(join(rootfs, 'fifo'));
        assert.ok(fifo.isFIFO());
        assert.equal(fifo.mode & 0o7777, 0o640);
        const get = async (name: string): Promise<string> =>
          (await runCommand('getfattr', ['--only-values', '-n', name, join(rootfs, 'attrs')])).stdout;
        assert.equal(await get('user.test'), 'hello');
        assert.equal(await get('user.bin'), 'a\u0001b');
      });
    });

    it('keeps container writes out of the layers', async () => {
      await withFixture(driver, async (f) => {
        await f.snap.createLayer('l', null, await layerTar([dir('etc/'), file('etc/hostname', 'image')]));
        const first = await f.rootfs('c1', 'l');
        assert.equal(await f.snap.mountRootfs('c1'), first); // idempotent
        await writeFile(join(first, 'etc/hostname'), 'container');
        await writeFile(join(first, 'new'), 'new');
        const second = await f.rootfs('c2', 'l');
        assert.deepEqual(await describeTree(second), ['etc/', 'etc/hostname = image']);
        // Both drivers tell the same changes and size, whether they keep an upper dir or a full copy.
        assert.deepEqual(await f.snap.changes('c1', 'l'), [
          { Path: '/etc', Kind: 0 },
          { Path: '/etc/hostname', Kind: 0 },
          { Path: '/new', Kind: 1 },
        ]);
        assert.equal(await f.snap.diffSize('c1', 'l'), 'container'.length + 'new'.length);
        await f.snap.unmountRootfs('c1');
        await f.snap.unmountRootfs('c1'); // not mounted any more: fine
        const [again, twice] = await Promise.all([f.snap.mountRootfs('c1'), f.snap.mountRootfs('c1')]);
        assert.equal(again, twice);
        const text = await readFile('/proc/self/mountinfo', 'utf8');
        assert.ok(text.split('\n').filter((l) => l.split(' ')[4] === again).length <= 1, 'mounted once');
        assert.equal(await readFile(join(again, 'new'), 'utf8'), 'new');
        await f.snap.removeRootfs('c1'); // while mounted
        await assert.rejects(f.snap.mountRootfs('c1'), NotFoundError);
      });
    });

    it('makes an empty rootfs without parent and reports GraphDriver data', async () => {
      await withFixture(driver, async (f) => {
        assert.deepEqual(await readdir(await f.rootfs('c', null)), []);
        await assert.rejects(f.snap.createRootfs('c', null), ConflictError);
        await f.snap.createLayer('l1', null, await layerTar([]));
        await f.snap.createLayer('l2', 'l1', await layerTar([]));
        await f.snap.createRootfs('c2', 'l2');
        const data = f.snap.rootfsData('c2');
        if (driver.name === 'overlay2') {
          const diff = (id: string): string => join(f.root, 'layers', id, 'diff');
          assert.equal(data['LowerDir'], `${diff('l2')}:${diff('l1')}`);
          assert.equal(f.snap.layerData('l2')['LowerDir'], diff('l1'));
          assert.equal(f.snap.layerData('l1')['UpperDir'], diff('l1'));
          assert.ok(data['UpperDir'] && data['WorkDir'] && data['MergedDir']);
        } else {
          assert.deepEqual(f.snap.layerData('l2'), {});
          assert.equal(data['Dir'], join(f.root, 'containers', 'c2', 'rootfs'));
        }
      });
    });
    it('stacks 120 layers in one rootfs', async () => {
      await withFixture(driver, async (f) => {
        // 64-hex IDs as the engine uses: the overlay mount options must still fit in one page.
        const id = (i: number): string => i.toString(16).padStart(64, '0');
        for (let i = 0; i < 120; i++) {
          await f.snap.createLayer(id(i), i === 0 ? null : id(i - 1), await layerTar([file(`f${i % 10}`, String(i))]));
        }
        const rootfs = await f.rootfs('c', id(119));
        assert.deepEqual((await readdir(rootfs)).sort(), ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
        assert.equal(await readFile(join(rootfs, 'f9'), 'utf8'), '119');
        assert.equal(await readFile(join(rootfs, 'f0'), 'utf8'), '110');
      });
    });

    it('clears scratch leftovers of a crash on init', async () => {
      await withFixture(driver, async (f) => {
        await f.snap.createLayer('l', null, await layerTar([file('a', 'a')]));
        await mkdir(join(f.root, 'tmp', 'crashed', 'layer'), { recursive: true });
        const again = await driver.create(f.root);
        assert.deepEqual(await readdir(join(f.root, 'tmp')), []);
        assert.deepEqual(await again.listLayers(), ['l']);
      });
    });
  });
}
