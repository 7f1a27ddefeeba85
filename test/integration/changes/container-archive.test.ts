import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, link, lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InvalidParameterError, NotFoundError } from '../../../src/core/errors.js';
import { getArchive, putArchive, statPath } from '../../../src/engine/rootfs/container-archive.js';
import { dir, file, hardlink, symlink as symlinkEntry, tarBuffer } from '../snapshotter/tar-fixture.js';
import { tarEntries } from '../../helpers/tar-entries.js';
import { describeFullTree, makeChangesTestDir, removeChangesTestDir } from './changes-fixture.js';

const NAME = 'mybox';
const PUT = { containerName: NAME, noOverwriteDirNonDir: false, copyUIDGID: false };

async function entries(tar: Readable): Promise<Array<{ name: string; type: string; linkname: string; body: string }>> {
  return (await tarEntries(tar)).map((e) => ({ name: e.name, type: e.type, linkname: e.linkname, body: e.body.toString() }));
}

async function names(root: string, path: string): Promise<string[]> {
  return (await entries((await getArchive(root, path, NAME)).tar)).map((e) => e.name);
}

const unique = (): string => `berth-escape-${randomBytes(6).toString('hex')}`;

describe('container archive (docker cp)', () => {
  let base: string | undefined;
  let root: string;

  before(async () => {
    base = await makeChangesTestDir();
    root = join(base, 'rootfs');
    for (const d of ['etc', 'dir/sub', 'tmp']) await mkdir(join(root, d), { recursive: true });
    await writeFile(join(root, 'etc/passwd'), 'container passwd\n');
    await writeFile(join(root, 'dir/a'), 'a');
    await writeFile(join(root, 'dir/sub/b'), 'b');
    await symlink('/etc/passwd', join(root, 'dir/link-in'));
    await writeFile(join(root, 'file.txt'), 'text');
    await symlink('/', join(root, 'evil'));
    await symlink('../../../..', join(root, 'up'));
    await symlink('dir', join(root, 'dirlink'));
  });

  after(async () => {
    await removeChangesTestDir(base);
  });

  describe('statPath', () => {
    it('describes files and directories with Go file modes and RFC 3339 times', async () => {
      const st = await statPath(root, '/etc/passwd', NAME);
      assert.deepEqual({ ...st, mtime: '' }, { name: 'passwd', size: 17, mode: 0o644, mtime: '', linkTarget: '' });
      assert.match(st.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(Date.parse(st.mtime), Math.floor((await stat(join(root, 'etc/passwd'))).mtimeMs));
      const d = await statPath(root, '/dir', NAME);
      assert.equal(d.mode, 2 ** 31 + 0o755, 'unsigned, with the directory bit');
      assert.equal((await statPath(root, '/', NAME)).name, '/');
      assert.equal((await statPath(root, '/dir/.', NAME)).name, '.');
    });

    it('describes a final symlink without following it, giving its target resolved in the container', async () => {
      assert.deepEqual({ ...(await statPath(root, '/evil', NAME)), mtime: '' }, { name: 'evil', size: 1, mode: 2 ** 27 + 0o777, mtime: '', linkTarget: '/' });
      assert.equal((await statPath(root, '/up', NAME)).linkTarget, '/');
      assert.equal((await statPath(root, '/dirlink', NAME)).linkTarget, '/dir');
      const followed = await statPath(root, '/dirlink/', NAME);
      assert.deepEqual([followed.name, followed.mode, followed.linkTarget], ['dirlink', 2 ** 31 + 0o755, '']);
    });

    it('says which file is missing in which container', async () => {
      for (const path of ['/nope', '/etc/passwd/', '/dir/nope/x']) {
        await assert.rejects(statPath(root, path, NAME), (err: unknown) => {
          assert.ok(err instanceof NotFoundError);
          assert.equal(err.message, `Could not find the file ${path} in container ${NAME}`);
          return true;
        });
      }
    });
  });

  describe('getArchive', () => {
    it('rebases entries on the requested name', async () => {
      const dirEntries = ['dir/', 'dir/a', 'dir/link-in', 'dir/sub/', 'dir/sub/b'];
      assert.deepEqual(await names(root, '/dir'), dirEntries);
      assert.deepEqual(await names(root, 'dir/'), dirEntries);
      assert.deepEqual(await names(root, '/dirlink/'), dirEntries.map((n) => n.replace(/^dir/, 'dirlink')));
      assert.deepEqual(await names(root, '/dir/.'), ['./', './a', './link-in', './sub/', './sub/b']);
      assert.deepEqual(await names(root, '/etc/passwd'), ['passwd']);
      const all = await names(root, '/');
      assert.equal(all[0], '/');
      assert.ok(all.includes('/dir/sub/b') && all.includes('/evil'));
    });

    it('archives a symlink as itself unless the path ends in a slash', async () => {
      const [link] = await entries((await getArchive(root, '/dirlink', NAME)).tar);
      assert.deepEqual(link, { name: 'dirlink', type: 'symlink', linkname: 'dir', body: '' });
      const inDir = (await entries((await getArchive(root, '/dir', NAME)).tar)).find((e) => e.name === 'dir/link-in');
      assert.deepEqual(inDir, { name: 'dir/link-in', type: 'symlink', linkname: '/etc/passwd', body: '' });
    });

    it('reads paths through symlinks inside the container root, never the host', async () => {
      for (const path of ['/evil/etc/passwd', '/up/etc/passwd', '/evil/../../../etc/passwd', '/dirlink/../evil/evil/etc/passwd']) {
        const { stat: st, tar } = await getArchive(root, path, NAME);
        const got = await entries(tar);
        assert.equal(got.length, 1, path);
        assert.equal(got[0]?.body, 'container passwd\n', path);
        assert.equal(st.name, 'passwd');
      }
    });

    it('fails before streaming when the path is missing', async () => {
      await assert.rejects(getArchive(root, '/evil/nope', NAME), NotFoundError);
    });
  });

  describe('putArchive', () => {
    it('extracts into an existing directory, creating parents', async () => {
      const tar = await tarBuffer([file('x', 'x'), file('deep/er/y', 'y'), dir('d/'), symlinkEntry('d/l', '/etc')]);
      await putArchive(root, '/dir/sub', Readable.from([tar]), PUT);
      assert.equal(await readFile(join(root, 'dir/sub/x'), 'utf8'), 'x');
      assert.equal(await readFile(join(root, 'dir/sub/deep/er/y'), 'utf8'), 'y');
      assert.equal(await readlink(join(root, 'dir/sub/d/l')), '/etc');
    });

    it('accepts a gzip-compressed archive, as docker does', async () => {
      await putArchive(root, '/tmp', Readable.from([gzipSync(await tarBuffer([file('zipped', 'z')]))]), PUT);
      assert.equal(await readFile(join(root, 'tmp/zipped'), 'utf8'), 'z');
    });

    it('refuses a missing destination or one that is not a directory', async () => {
      await assert.rejects(putArchive(root, '/nope', Readable.from([await tarBuffer([])]), PUT), (err: unknown) => {
        assert.ok(err instanceof NotFoundError);
        assert.equal(err.message, `Could not find the file /nope in container ${NAME}`);
        return true;
      });
      await assert.rejects(putArchive(root, '/file.txt', Readable.from([await tarBuffer([])]), PUT), (err: unknown) => {
        assert.ok(err instanceof InvalidParameterError);
        assert.equal(err.message, 'extraction point is not a directory');
        return true;
      });
    });

    it('writes through a container symlink like /evil -> / inside the root, not on the host', async () => {
      const name = unique();
      await putArchive(root, '/evil/tmp', Readable.from([await tarBuffer([file(name, 'in the container')])]), PUT);
      assert.equal(await readFile(join(root, 'tmp', name), 'utf8'), 'in the container');
      assert.equal(existsSync(join('/tmp', name)), false);
      const viaUp = unique();
      await putArchive(root, '/up/tmp/', Readable.from([await tarBuffer([file(viaUp, 'up')])]), PUT);
      assert.ok(existsSync(join(root, 'tmp', viaUp)));
      assert.equal(existsSync(join('/tmp', viaUp)), false);
    });

    it('keeps entries that follow a symlink the archive itself planted inside the root', async () => {
      const name = unique();
      const passwdLinks = (await stat('/etc/passwd')).nlink;
      const tar = await tarBuffer([symlinkEntry('s', '/'), file(`s/tmp/${name}`, 'planted'), hardlink('h', 's/etc/passwd')]);
      await putArchive(root, '/dir', Readable.from([tar]), PUT);
      // A relative target climbing above the destination is docker's breakout (refused); into the root, `..` stops there.
      const up = async (): Promise<Readable> => Readable.from([await tarBuffer([symlinkEntry('u', '../../../../../..'), file(`u/tmp/${name}-u`, 'up')])]);
      await assert.rejects(putArchive(root, '/dir', await up(), PUT), /symlink "\/dir\/u" -> "..\/..\/..\/..\/..\/.." points outside of the extraction directory "\/dir"/);
      await putArchive(root, '/', await up(), PUT);
      assert.equal(await readFile(join(root, 'tmp', name), 'utf8'), 'planted');
      assert.ok(existsSync(join(root, 'tmp', `${name}-u`)));
      assert.equal(existsSync(join('/tmp', name)) || existsSync(join('/tmp', `${name}-u`)), false);
      assert.equal((await lstat(join(root, 'dir/h'))).ino, (await lstat(join(root, 'etc/passwd'))).ino, 'the container file is linked');
      assert.equal((await stat('/etc/passwd')).nlink, passwdLinks, "the host's file is not");
    });

    it('sets no directory time through a directory the archive later swaps for a symlink', async () => {
      // Issue 21, finding 1, through PUT /containers/{id}/archive without noOverwriteDirNonDir (as
      // docker-py's put_archive and dockerode send it): `d/`, `d/target/`, then `d -> <host dir>`.
      const hostDir = join(base as string, unique());
      await mkdir(join(hostDir, 'target'), { recursive: true });
      const before = await stat(join(hostDir, 'target'));
      const old = new Date('2001-01-01T00:00:00Z');
      const tars = [
        [dir('d/'), dir('d/target/', { mtime: old }), symlinkEntry('d', hostDir)],
        [dir('e/'), dir(`e${hostDir}/target/`, { mtime: old }), symlinkEntry('e', '/')],
        [dir('f/'), dir('f/target/', { mtime: old }), symlinkEntry('f', `../../../../../../../../..${hostDir}`)],
      ];
      // Into the root: a deeper destination refuses the third link (it climbs out of it) before any swap.
      for (const entries of tars) await putArchive(root, '/', Readable.from([await tarBuffer(entries)]), PUT);
      const after = await stat(join(hostDir, 'target'));
      assert.deepEqual([after.mtimeMs, after.ctimeMs], [before.mtimeMs, before.ctimeMs], "the host directory's times are untouched");
    });

    it('refuses entries and link targets that climb out of the destination', async () => {
      const name = unique();
      for (const entry of [file(`../../${name}`, 'x'), file(`a/../../${name}`, 'x'), hardlink(`${name}-h`, `../../../etc/passwd`)]) {
        await assert.rejects(putArchive(root, '/dir/sub', Readable.from([await tarBuffer([entry])]), PUT), (err: unknown) => {
          assert.ok(err instanceof InvalidParameterError, String(err));
          assert.match(err.message, /is outside of the extraction directory "\/dir\/sub"/);
          return true;
        });
      }
      for (const where of [join(root, name), join(root, 'dir', name), join(base ?? '', name), join('/', name), join(root, 'dir/sub', `${name}-h`)]) {
        assert.equal(existsSync(where), false, where);
      }
      // A leading slash means the destination, as in docker.
      await putArchive(root, '/dir/sub', Readable.from([await tarBuffer([file(`/${name}`, 'abs')])]), PUT);
      assert.equal(await readFile(join(root, 'dir/sub', name), 'utf8'), 'abs');
    });

    it('into the root, .. stops at the root as in docker\'s chrooted untar', async () => {
      const name = unique();
      await putArchive(root, '/', Readable.from([await tarBuffer([file(`../../${name}`, 'clamped'), hardlink(`${name}-h`, `../../../${name}`)])]), PUT);
      assert.equal(await readFile(join(root, name), 'utf8'), 'clamped');
      assert.equal((await stat(join(root, `${name}-h`))).ino, (await stat(join(root, name))).ino);
      assert.equal(existsSync(join('/', name)) || existsSync(join(base ?? '', name)), false);
    });

    it('treats whiteout names as ordinary files', async () => {
      await putArchive(root, '/dir', Readable.from([await tarBuffer([file('.wh.a', ''), file('sub/.wh..wh..opq', '')])]), PUT);
      assert.ok(existsSync(join(root, 'dir/.wh.a')) && existsSync(join(root, 'dir/a')) && existsSync(join(root, 'dir/sub/b')));
    });

    it('with noOverwriteDirNonDir, refuses to swap a directory and a non-directory', async () => {
      await mkdir(join(root, 'swap/adir'), { recursive: true });
      await writeFile(join(root, 'swap/afile'), 'f');
      const strict = { ...PUT, noOverwriteDirNonDir: true };
      await assert.rejects(putArchive(root, '/swap', Readable.from([await tarBuffer([file('adir', 'x')])]), strict), {
        message: 'cannot overwrite directory "/swap/adir" with non-directory "/swap/adir"',
      });
      await assert.rejects(putArchive(root, '/swap', Readable.from([await tarBuffer([dir('afile/')])]), strict), {
        message: 'cannot overwrite non-directory "/swap/afile" with directory "/swap/afile"',
      });
      await putArchive(root, '/swap', Readable.from([await tarBuffer([dir('afile/'), file('adir', 'now a file')])]), PUT);
      assert.ok((await lstat(join(root, 'swap/afile'))).isDirectory());
      assert.equal(await readFile(join(root, 'swap/adir'), 'utf8'), 'now a file');
    });

    it('keeps the archive owners, or with copyUIDGID gives the container user', async () => {
      const tar = async (): Promise<Readable> => Readable.from([await tarBuffer([file('owned', 'o', { uid: 1234, gid: 4321 })])]);
      await mkdir(join(root, 'own'));
      await putArchive(root, '/own', await tar(), PUT);
      assert.deepEqual([(await lstat(join(root, 'own/owned'))).uid, (await lstat(join(root, 'own/owned'))).gid], [1234, 4321]);
      await putArchive(root, '/own', await tar(), { ...PUT, copyUIDGID: true, owner: { uid: 5, gid: 6 } });
      assert.deepEqual([(await lstat(join(root, 'own/owned'))).uid, (await lstat(join(root, 'own/owned'))).gid], [5, 6]);
      await putArchive(root, '/own', await tar(), { ...PUT, copyUIDGID: true });
      assert.deepEqual([(await lstat(join(root, 'own/owned'))).uid, (await lstat(join(root, 'own/owned'))).gid], [0, 0]);
    });

    it('round-trips a directory through get and put', async () => {
      await mkdir(join(root, 'rt/sub'), { recursive: true });
      await writeFile(join(root, 'rt/sub/f'), 'f');
      await link(join(root, 'rt/sub/f'), join(root, 'rt/hard'));
      await symlink('sub/f', join(root, 'rt/soft'));
      await chown(join(root, 'rt/sub'), 7, 8);
      await chmod(join(root, 'rt/sub/f'), 0o4750);
      await mkdir(join(root, 'copy'));
      await putArchive(root, '/copy', (await getArchive(root, '/rt', NAME)).tar, PUT);
      assert.deepEqual(await describeFullTree(join(root, 'copy/rt')), await describeFullTree(join(root, 'rt')));
    });
  });
});
