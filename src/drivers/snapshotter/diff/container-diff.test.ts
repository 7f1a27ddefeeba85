import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../core/run-command.js';
import { CHANGE_ADDED, CHANGE_DELETED, CHANGE_MODIFIED, diffChanges, sortChanges } from './container-diff.js';

const show = (changes: ReadonlyArray<{ Path: string; Kind: number }>): string[] => changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}`);

describe('sortChanges', () => {
  it('sorts by path bytes, parents first', () => {
    const sorted = sortChanges([
      { Path: '/a/x', Kind: CHANGE_ADDED },
      { Path: '/a-b', Kind: CHANGE_DELETED },
      { Path: '/a', Kind: CHANGE_MODIFIED },
      { Path: '/\u{1F600}', Kind: CHANGE_ADDED },
      { Path: '/\uFF21', Kind: CHANGE_ADDED },
    ]);
    assert.deepEqual(show(sorted), ['C /a', 'D /a-b', 'A /a/x', 'A /\uFF21', 'A /\u{1F600}']);
  });
});

describe('diffChanges on a full copy (vfs, naive diff)', () => {
  let dir: string | undefined;
  let image: string;
  let rootfs: string;

  before(async () => {
    dir = await mkdtemp('/tmp/berth-test-chg-');
    image = join(dir, 'image');
    for (const d of ['etc', 'var/lib', 'srv/tree/deep', 'keep']) await mkdir(join(image, d), { recursive: true });
    await writeFile(join(image, 'etc/passwd'), 'root');
    await writeFile(join(image, 'etc/hosts'), 'h');
    await writeFile(join(image, 'var/lib/db'), 'db');
    await writeFile(join(image, 'srv/tree/deep/x'), 'x');
    await writeFile(join(image, 'keep/same'), 's');
    await symlink('passwd', join(image, 'etc/link'));
    // Like vfs's `cp -a`: every time and mode kept, so an untouched copy has no changes.
    rootfs = join(dir, 'rootfs');
    await runCommand('cp', ['-a', image, rootfs]);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds nothing in an untouched copy', async () => {
    assert.deepEqual(await diffChanges({ rootfs, baseDir: image }), []);
  });

  it('compares type, mode, size, mtime and symlink targets; directories by what they hold', async () => {
    await appendFile(join(rootfs, 'etc/passwd'), '\nuser');
    await chmod(join(rootfs, 'etc/hosts'), 0o600);
    await unlink(join(rootfs, 'etc/link'));
    await symlink('hosts', join(rootfs, 'etc/link'));
    await rm(join(rootfs, 'srv/tree'), { recursive: true });
    await mkdir(join(rootfs, 'var/new/sub'), { recursive: true });
    await writeFile(join(rootfs, 'var/new/sub/f'), 'f');
    // Touching a directory alone is no change (moby#9874): keep/ only had its mtime bumped.
    await utimes(join(rootfs, 'keep'), new Date(), new Date());
    assert.deepEqual(show(await diffChanges({ rootfs, baseDir: image })), [
      'C /etc',
      'C /etc/hosts',
      'C /etc/link',
      'C /etc/passwd',
      'C /srv',
      'D /srv/tree',
      'C /var',
      'A /var/new',
      'A /var/new/sub',
      'A /var/new/sub/f',
    ]);
  });

  it('lists everything as added without a base, but /etc which docker keeps in its init layer', async () => {
    const all = show(await diffChanges({ rootfs: image, baseDir: null }));
    assert.deepEqual(all.filter((line) => !line.startsWith('A /')), ['C /etc']);
    assert.ok(all.includes('A /srv/tree/deep/x'));
    assert.ok(all.includes('A /etc/passwd'));
  });

  it("leaves out the runtime's mount points for what the image lacked", async () => {
    const base = join(dir ?? '', 'bare-image');
    const ctr = join(dir ?? '', 'bare-rootfs');
    await mkdir(join(base, 'bin'), { recursive: true });
    await runCommand('cp', ['-a', base, ctr]);
    // What runc makes to mount onto: empty files and directories.
    for (const d of ['proc', 'sys', 'dev/pts', 'etc']) await mkdir(join(ctr, d), { recursive: true });
    for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) await writeFile(join(ctr, f), '');
    await writeFile(join(ctr, 'new'), 'n');
    assert.deepEqual(show(await diffChanges({ rootfs: ctr, baseDir: base })), ['A /new']);
    await writeFile(join(ctr, 'etc/hosts'), 'written while stopped');
    assert.deepEqual(show(await diffChanges({ rootfs: ctr, baseDir: base })), ['C /etc', 'A /etc/hosts', 'A /new']);
  });
});
