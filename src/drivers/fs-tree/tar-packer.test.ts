import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, link, mkdtemp, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readMeta } from './file-meta.js';
import { packTar } from './tar-packer.js';
import { tarEntries as entries } from '../../../test/helpers/tar-entries.js';

describe('packTar', () => {
  let dir: string | undefined;

  before(async () => {
    dir = await mkdtemp('/tmp/berth-test-chg-');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps a mode of 000, links a second name of an inode to the first, slashes directories', async () => {
    const root = dir ?? '';
    await writeFile(join(root, 'locked'), ''); // empty: the test must also pass without root
    await chmod(join(root, 'locked'), 0o000);
    await writeFile(join(root, 'one'), '1');
    await link(join(root, 'one'), join(root, 'two'));
    const tar = packTar({ confineTo: root }, async (p) => {
      await p.addPath(root, 'top', await readMeta(root));
      for (const name of ['locked', 'one', 'two']) await p.addPath(join(root, name), `top/${name}`, await readMeta(join(root, name)));
    });
    const got = await entries(tar);
    assert.deepEqual(got.map((e) => [e.name, e.type, e.mode, e.linkname]), [
      ['top/', 'directory', 0o700, ''],
      ['top/locked', 'file', 0, ''],
      ['top/one', 'file', 0o644, ''],
      ['top/two', 'link', 0o644, 'top/one'],
    ]);
  });

  it('writes exactly the size it announced when a file shrinks meanwhile', async () => {
    const path = join(dir ?? '', 'shrinks');
    await writeFile(path, 'abcdef');
    const meta = await readMeta(path);
    await truncate(path, 2);
    const [entry] = await entries(packTar({ confineTo: dir ?? '' }, async (p) => p.addPath(path, 'shrinks', meta)));
    assert.deepEqual(entry?.body, Buffer.from('ab\0\0\0\0'));
  });

  it('refuses a file swapped for a symlink or another file after it was walked', async () => {
    const root = dir ?? '';
    await writeFile(join(root, 'victim'), 'v');
    const walked = await readMeta(join(root, 'victim'));
    // Kept under another name, so its inode number cannot be reused by the file swapped in below.
    await rename(join(root, 'victim'), join(root, 'walked'));
    await symlink('/etc/hostname', join(root, 'victim'));
    await assert.rejects(entries(packTar({ confineTo: root }, async (p) => p.addPath(join(root, 'victim'), 'victim', walked))), /replaced while being archived/);
    await rm(join(root, 'victim'));
    await writeFile(join(root, 'other'), 'o');
    await rename(join(root, 'other'), join(root, 'victim'));
    await assert.rejects(entries(packTar({ confineTo: root }, async (p) => p.addPath(join(root, 'victim'), 'victim', walked))), /replaced while being archived/);
  });

  it('skips a file deleted between the walk and the read', async () => {
    const path = join(dir ?? '', 'gone');
    await writeFile(path, 'g');
    const meta = await readMeta(path);
    await rm(path);
    assert.deepEqual(await entries(packTar({ confineTo: dir ?? '' }, async (p) => p.addPath(path, 'gone', meta))), []);
  });

  it('a consumer failing mid-file (ENOSPC writing the layer) fails the pack, and nothing is left unhandled', async () => {
    const path = join(dir ?? '', 'big');
    await writeFile(path, Buffer.alloc(4 * 1024 * 1024, 7));
    const meta = await readMeta(path);
    const tar = packTar({ confineTo: dir ?? '' }, async (p) => p.addPath(path, 'big', meta));
    let seen = 0;
    const full = new Writable({
      write(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        cb(seen > 64 * 1024 ? Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) : null);
      },
    });
    await assert.rejects(pipeline(tar, full), /ENOSPC/);
    // An 'error' nobody listens to would surface here, after the pipeline settled.
    await new Promise((r) => setTimeout(r, 50));
  });
});
