import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidParameterError } from '../../../src/core/errors.js';
import { DRIVERS, SnapshotterFixture, type DriverCase } from './harness.js';
import { dir, file, hardlink, layerTar, symlink, tarBuffer, type FixtureEntry } from './tar-fixture.js';

/**
 * Hostile layers: next to the driver's root sit an empty `sentinel/` dir and a `victim/` dir with
 * one file, both reachable by absolute path, as host files would be. No layer may change them.
 */
interface Host {
  sentinel: string;
  victim: string;
  victimFile: string;
}

async function withHost(driver: DriverCase, fn: (f: SnapshotterFixture, host: Host) => Promise<void>): Promise<void> {
  const f = await SnapshotterFixture.create(driver);
  try {
    const host = { sentinel: join(f.base, 'sentinel'), victim: join(f.base, 'victim'), victimFile: join(f.base, 'victim', 'passwd') };
    await mkdir(host.sentinel);
    await mkdir(host.victim);
    await writeFile(host.victimFile, 'root:x:0:0\n');
    await fn(f, host);
    assert.deepEqual(await readdir(host.sentinel), [], 'nothing was written into the sentinel dir');
    assert.deepEqual(await readdir(host.victim), ['passwd'], 'the victim dir is untouched');
    const st = await stat(host.victimFile);
    assert.deepEqual([await readFile(host.victimFile, 'utf8'), st.nlink], ['root:x:0:0\n', 1], 'the victim file is untouched');
    assert.deepEqual((await readdir(f.base)).sort(), [driver.name, 'sentinel', 'victim'].sort(), 'nothing new beside the root');
    assert.deepEqual(await readdir(join(f.root, 'tmp')), [], 'no scratch leftovers');
  } finally {
    await f.cleanup();
  }
}

/** The unpack must fail with InvalidParameterError and leave no layer. */
async function assertRejected(f: SnapshotterFixture, tar: Readable, id = 'bad'): Promise<void> {
  await assert.rejects(f.snap.createLayer(id, null, tar), InvalidParameterError);
  assert.equal(await f.snap.hasLayer(id), false);
  assert.ok(!(await f.snap.listLayers()).includes(id));
}

for (const driver of DRIVERS) {
  describe(`snapshotter escapes: ${driver.name}`, () => {
    it('keeps ../ and absolute entry names inside the layer', async () => {
      await withHost(driver, async (f, host) => {
        await f.snap.createLayer('l', null, await layerTar([
          file('../../escape', 'a'),
          file('/abs', 'b'),
          file(`../../../../../../..${host.sentinel}/dotdot`, 'c'),
          file(`${host.sentinel}/absolute`, 'd'),
          dir('../'),
        ]));
        const rootfs = await f.rootfs('c', 'l');
        assert.equal(await readFile(join(rootfs, 'escape'), 'utf8'), 'a');
        assert.equal(await readFile(join(rootfs, 'abs'), 'utf8'), 'b');
        assert.equal(await readFile(join(rootfs, host.sentinel, 'dotdot'), 'utf8'), 'c');
        assert.equal(await readFile(join(rootfs, host.sentinel, 'absolute'), 'utf8'), 'd');
      });
    });

    it('re-roots symlinks planted by earlier entries', async () => {
      await withHost(driver, async (f, host) => {
        await f.snap.createLayer('l', null, await layerTar([
          symlink('link', '/'),
          file('link/escaped', 'a'),
          symlink('up', '../../../../../../..'),
          file('up/escaped-up', 'b'),
          symlink('sentinel', host.sentinel),
          file('sentinel/pwned', 'c'),
          dir('nested/'),
          symlink('nested/back', '../../../sentinel'),
          file('nested/back/deep', 'd'),
        ]));
        const rootfs = await f.rootfs('c', 'l');
        assert.equal(await readlink(join(rootfs, 'link')), '/'); // the link itself is kept as written
        assert.equal(await readFile(join(rootfs, 'escaped'), 'utf8'), 'a');
        assert.equal(await readFile(join(rootfs, 'escaped-up'), 'utf8'), 'b');
        assert.equal(await readFile(join(rootfs, host.sentinel, 'pwned'), 'utf8'), 'c');
        assert.equal(await readFile(join(rootfs, host.sentinel, 'deep'), 'utf8'), 'd');
      });
    });

    it('re-roots symlinks that a parent layer planted', async () => {
      await withHost(driver, async (f, host) => {
        await f.snap.createLayer('evil', null, await layerTar([symlink('evil', host.victim), symlink('rel', '../../../..')]));
        await f.snap.createLayer('child', 'evil', await layerTar([file('evil/passwd', 'pwned'), file('rel/x', 'x')]));
        const rootfs = await f.rootfs('c', 'child');
        // vfs applies the child on a copy of the parent, so `rel/x` goes through the symlink to the
        // root; overlay2 applies each layer on its own, so `rel/` is a directory that shadows the
        // link (docker behaves the same). Either way it stays inside.
        const where = driver.name === 'vfs' ? 'x' : 'rel/x';
        assert.equal(await readFile(join(rootfs, where), 'utf8'), 'x');
        if (driver.name === 'vfs') assert.equal(await readFile(join(rootfs, host.victimFile), 'utf8'), 'pwned');
      });
    });

    it('replaces a symlink at the final component instead of following it', async () => {
      await withHost(driver, async (f, host) => {
        await f.snap.createLayer('l', null, await layerTar([
          symlink('target', host.victimFile),
          file('target', 'pwned'),
          symlink('dirlink', host.victim),
          dir('dirlink/', { mode: 0o700 }),
        ]));
        const rootfs = await f.rootfs('c', 'l');
        assert.equal(await readFile(join(rootfs, 'target'), 'utf8'), 'pwned');
        assert.ok((await lstat(join(rootfs, 'dirlink'))).isDirectory());
      });
    });

    it('keeps whiteouts under a symlink inside the layer', async () => {
      await withHost(driver, async (f, host) => {
        await f.snap.createLayer('l', null, await layerTar([
          symlink('v', host.victim),
          file('v/.wh.passwd', ''),
          file('v/.wh..wh..opq', ''),
        ]));
        await assertRejected(f, await layerTar([file('.wh..', '')]));
        await assertRejected(f, await layerTar([dir('d/'), file('d/.wh...', '')]));
      });
    });

    it('refuses hardlinks to files outside the layer', async () => {
      await withHost(driver, async (f, host) => {
        await assertRejected(f, await layerTar([hardlink('h', '../../etc/passwd')]));
        await assertRejected(f, await layerTar([hardlink('h', host.victimFile)]));
        await assertRejected(f, await layerTar([symlink('s', host.victim), hardlink('h', 's/passwd')]));
        await assertRejected(f, await layerTar([symlink('s', '../../..'), hardlink('h', `s${host.victimFile}`)]));
        await assertRejected(f, await layerTar([dir('d/'), hardlink('h', 'd')]));
        // A hardlink whose target resolves inside the layer is fine, however it is spelled.
        await f.snap.createLayer('ok', null, await layerTar([file('real', 'r'), hardlink('h', '../../real')]));
        const rootfs = await f.rootfs('c', 'ok');
        assert.equal((await stat(join(rootfs, 'h'))).ino, (await stat(join(rootfs, 'real'))).ino);
      });
    });

    it('sets no deferred directory time through a directory later swapped for a symlink', async () => {
      // Issue 21, finding 1: `d/`, `d/target/` with an mtime, then `d -> <host dir>`: directory
      // times, set after the whole layer, went through the symlink to the host's `<dir>/target`.
      const f = await SnapshotterFixture.create(driver);
      try {
        const hostDir = join(f.base, 'hostdir');
        await mkdir(join(hostDir, 'target'), { recursive: true });
        const before = await stat(join(hostDir, 'target'));
        const depth = f.root.split('/').length + 4;
        const old = new Date('2001-01-01T00:00:00Z');
        const recipes: Record<string, FixtureEntry[]> = {
          absolute: [dir('d/'), dir('d/target/', { mtime: old }), symlink('d', hostDir)],
          relative: [dir('d/'), dir('d/target/', { mtime: old }), symlink('d', `${'../'.repeat(depth)}${hostDir.slice(1)}`)],
          root: [dir('d/'), dir(`d${hostDir}/target/`, { mtime: old }), symlink('d', '/')],
          deeper: [dir('a/b/'), dir('a/b/target/', { mtime: old }), symlink('a/b', hostDir), symlink('a', hostDir)],
        };
        for (const [name, entries] of Object.entries(recipes)) {
          await f.snap.createLayer(name, null, await layerTar(entries));
          const after = await stat(join(hostDir, 'target'));
          assert.deepEqual([after.mtimeMs, after.ctimeMs], [before.mtimeMs, before.ctimeMs], `${name}: the host directory's times are untouched`);
        }
      } finally {
        await f.cleanup();
      }
    });

    it('fails cleanly on truncated or corrupt tars', async () => {
      await withHost(driver, async (f) => {
        const whole = await tarBuffer([dir('d/'), file('d/big', 'x'.repeat(20000)), file('after', 'a')]);
        await assertRejected(f, Readable.from([whole.subarray(0, 3000)]));
        await assertRejected(f, Readable.from([whole.subarray(0, 512 * 3 + 100)]));
        await assertRejected(f, Readable.from([whole.subarray(0, 512 * 2 + 20480 + 100)])); // inside a header
        const corrupt = Buffer.from(whole);
        corrupt.fill(0x41, 512, 1024); // the second header
        await assertRejected(f, Readable.from([corrupt]));
        await assertRejected(f, Readable.from([Buffer.alloc(700, 0x5a)]));
        await assertRejected(f, await layerTar([file('nul\0name', 'x', { pax: { comment: 'forces a PAX path' } })]));
        // A failure of the stream itself (a network read) is reported too, and cleaned up.
        const failing = new Readable({ read() { this.destroy(new Error('connection reset')); } });
        await assert.rejects(f.snap.createLayer('net', null, failing), /connection reset/);
        assert.equal(await f.snap.hasLayer('net'), false);
      });
    });
  });
}
