import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extractArchive } from '../rootfs/index.js';
import { walkTree } from '../../drivers/fs-tree/walk-tree.js';
import { SourceTree } from './build-context.js';
import { plainEntries, readUpTo, writePlainEntries } from './small-context.js';
import { tar } from '../../../test/helpers/hostile-tar/tar.js';

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

/** A context as the docker CLI sends one: directories, files of several modes, a parent only implied. */
function contextTar(): Buffer {
  const o = { uid, gid, mtime: 1_700_000_000 };
  return tar()
    .file('Dockerfile', 'FROM busybox\nCOPY . /\n', { ...o, mode: 0o644 })
    .dir('dir', { ...o, mode: 0o750, mtime: 1_600_000_000 })
    .file('dir/run.sh', '#!/bin/sh\necho hi\n', { ...o, mode: 0o755 })
    .file('dir/empty', '', { ...o, mode: 0o600 })
    .file('implied/deeper/f.txt', 'x'.repeat(3000), { ...o, mode: 0o640 })
    .dir('./late', { ...o, mode: 0o700 })
    .file('late/g.txt', 'g\n', o)
    .end()
    .bytes();
}

async function describeTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkTree(root)) {
    const st = await lstat(e.abs);
    const content = st.isFile() ? createHash('sha256').update(await readFile(e.abs)).digest('hex') : '';
    // Implied directories are made at extraction time, as in docker.
    const mtime = st.isDirectory() && e.rel.startsWith('implied') ? '' : st.mtimeMs;
    out.push(`${e.rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : ''} ${mtime} ${content}`);
  }
  return out;
}

describe('small build contexts (written synchronously)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp('/tmp/berth-test-smallctx-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes what extractArchive makes, and hashes to the same cache keys', async () => {
    const fast = join(dir, 'fast');
    const general = join(dir, 'general');
    await mkdir(fast);
    await mkdir(general);
    const entries = await plainEntries(contextTar());
    assert.ok(entries, 'a context of files and directories is plain');
    writePlainEntries(fast, entries);
    await extractArchive({ root: general, destPath: '/' }, Readable.from([contextTar()]), { noOverwriteDirNonDir: false, owner: null, log: () => undefined });
    assert.deepEqual(await describeTree(fast), await describeTree(general));
    const small = new SourceTree(fast, null, true, true);
    const usual = new SourceTree(general, null, true, false);
    for (const src of ['.', 'dir', 'implied', 'dir/run.sh']) {
      const [a] = await small.resolve(src, 'COPY');
      const [b] = await usual.resolve(src, 'COPY');
      assert.equal(await small.hashItem(a!), await usual.hashItem(b!), src);
    }
  });

  it('leaves links, devices, repeated names and replacements to extractArchive', async () => {
    const o = { uid, gid };
    const cases: Array<[string, Buffer]> = [
      ['symlink', tar().file('a', 'a', o).symlink('l', 'a', o).end().bytes()],
      ['hardlink', tar().file('a', 'a', o).hardlink('h', 'a', o).end().bytes()],
      ['fifo', tar().device('p', '6', 0, 0, o).end().bytes()],
      ['a name twice', tar().file('a', 'a', o).file('a', 'b', o).end().bytes()],
      ['a file below a file', tar().file('a', 'a', o).file('a/b', 'b', o).end().bytes()],
      ['a file where a directory was implied', tar().file('a/b', 'b', o).file('a', 'a', o).end().bytes()],
    ];
    for (const [what, bytes] of cases) assert.equal(await plainEntries(bytes), undefined, what);
  });

  it('a malformed archive fails as it does in extractArchive', async () => {
    const bad = tar().entry({ name: 'x', type: '0', checksum: 'bad' }, 'x').end().bytes();
    await assert.rejects(plainEntries(bad), /invalid archive/);
  });

  it('readUpTo: the whole input when it fits, else all of it again as a stream', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('hij')];
    const small = await readUpTo(Readable.from(chunks), 100);
    assert.ok('all' in small);
    assert.equal(small.all.toString(), 'abcdefghij');
    const big = await readUpTo(Readable.from(chunks), 4);
    assert.ok('rest' in big);
    const parts: Buffer[] = [];
    for await (const c of big.rest) parts.push(c as Buffer);
    assert.equal(Buffer.concat(parts).toString(), 'abcdefghij');
  });
});
