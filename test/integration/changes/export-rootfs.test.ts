import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { Snapshotter } from '../../../src/drivers/snapshotter/snapshotter.js';
import { exportRootfs } from '../../../src/engine/rootfs/export-rootfs.js';
import { layerTar } from '../snapshotter/tar-fixture.js';
import { BASE_LAYER, TOP_LAYER, changeContainer, createSnapshotter, describeFullTree, makeChangesTestDir, removeChangesTestDir } from './changes-fixture.js';

interface Listed {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  dev: string;
  pax: Record<string, string>;
}

async function listTar(stream: Readable): Promise<Listed[]> {
  const out: Listed[] = [];
  const extract = tarStream.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    const pax = (h.pax ?? {}) as Record<string, string>;
    out.push({ name: h.name, type: h.type, mode: h.mode, uid: Number(pax['uid'] ?? h.uid), gid: Number(pax['gid'] ?? h.gid), linkname: h.linkname ?? '', dev: `${h.devmajor},${h.devminor}`, pax });
    entry.resume();
  }
  return out;
}

describe('exportRootfs', () => {
  let base: string | undefined;
  let snap: Snapshotter;
  let rootfs: string;

  before(async () => {
    base = await makeChangesTestDir();
    snap = await createSnapshotter('overlay2', join(base, 'overlay2'));
    await snap.createLayer('l1', null, await layerTar(BASE_LAYER));
    await snap.createLayer('l2', 'l1', await layerTar(TOP_LAYER));
    await snap.createRootfs('c1', 'l2');
    rootfs = await snap.mountRootfs('c1');
    await changeContainer(rootfs);
  });

  after(async () => {
    await removeChangesTestDir(base);
  });

  it('lists every entry of the merged filesystem, parents first, root left out', async () => {
    const listed = await listTar(exportRootfs(rootfs));
    const names = listed.map((e) => e.name);
    const expected = (await describeFullTree(rootfs)).map((line) => {
      const [path = '', type = ''] = line.split(' ');
      return type === '40000' ? `${path}/` : path;
    });
    assert.deepEqual([...names].sort(), [...expected].sort());
    assert.ok(names.indexOf('newdir/') < names.indexOf('newdir/sub/f'));
    assert.ok(!names.includes('') && !names.includes('./') && !names.includes('/'));
  });

  it('keeps owners, modes, links, devices and xattrs', async () => {
    const byName = new Map((await listTar(exportRootfs(rootfs))).map((e) => [e.name, e]));
    const get = (name: string): Listed => {
      const e = byName.get(name);
      assert.ok(e, `${name} is exported`);
      return e;
    };
    assert.equal(get('bin/sh').mode, 0o700);
    assert.equal(get('newdir/secret').mode, 0, 'a mode of 000 stays 000');
    assert.equal(get('home/user/').uid, 0);
    assert.deepEqual([get('newdir/biguid').uid, get('newdir/biguid').gid], [300000, 300001]);
    assert.deepEqual([get('evil').type, get('evil').linkname], ['symlink', '/']);
    assert.deepEqual([get('bin/link-to-sh').type, get('bin/link-to-sh').linkname], ['symlink', 'sh']);
    assert.equal(get('newdir/h1').type, 'file');
    assert.deepEqual([get('newdir/h2').type, get('newdir/h2').linkname], ['link', 'newdir/h1']);
    assert.deepEqual([get('newdir/null').type, get('newdir/null').dev], ['character-device', '1,3']);
    assert.equal(get('newdir/fifo').type, 'fifo');
    assert.equal(get('etc/passwd').pax['SCHILY.xattr.user.test'], 'value');
    // Deleted and hidden image files are not in the merged view, so not in the export.
    for (const gone of ['var/file', 'opt/dir/a', 'opq/kept']) assert.ok(!byName.has(gone), gone);
  });

  it('skips sockets, which tar cannot hold', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(rootfs, 'sock'), resolve));
    try {
      const names = (await listTar(exportRootfs(rootfs))).map((e) => e.name);
      assert.ok(!names.includes('sock'));
      assert.ok(names.includes('etc/passwd'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
