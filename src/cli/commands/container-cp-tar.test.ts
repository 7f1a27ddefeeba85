import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { extractTarTo, packLocalPath, rebaseTar } from './container-cp-tar.js';

async function names(tar: Readable): Promise<string[]> {
  const extract = tarStream.extract();
  tar.pipe(extract);
  const out: string[] = [];
  for await (const entry of extract) {
    out.push(entry.header.name);
    entry.resume();
  }
  return out;
}

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-cp-'));
  mkdirSync(join(root, 'src/sub'), { recursive: true });
  writeFileSync(join(root, 'src/a.txt'), 'hello');
  writeFileSync(join(root, 'src/sub/b.txt'), 'world');
  symlinkSync('a.txt', join(root, 'src/link'));
  return root;
}

test('packLocalPath names entries as docker: dir/, dir/x; dir/. as ./x; a file by its name', async () => {
  const root = fixture();
  try {
    assert.deepEqual(await names(packLocalPath(join(root, 'src'), '')), ['src/', 'src/a.txt', 'src/link', 'src/sub/', 'src/sub/b.txt']);
    assert.deepEqual(await names(packLocalPath(`${join(root, 'src')}/.`, '')), ['./', './a.txt', './link', './sub/', './sub/b.txt']);
    assert.deepEqual(await names(packLocalPath(join(root, 'src/a.txt'), '')), ['a.txt']);
    assert.deepEqual(await names(packLocalPath(join(root, 'src/a.txt'), 'renamed')), ['renamed']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rebase + extract: a directory lands under its new name with contents, links and modes', async () => {
  const root = fixture();
  try {
    mkdirSync(join(root, 'out'));
    await extractTarTo(rebaseTar(packLocalPath(join(root, 'src'), ''), 'src', 'copy'), join(root, 'out'));
    assert.equal(readFileSync(join(root, 'out/copy/a.txt'), 'utf8'), 'hello');
    assert.equal(readFileSync(join(root, 'out/copy/sub/b.txt'), 'utf8'), 'world');
    assert.equal(readlinkSync(join(root, 'out/copy/link')), 'a.txt');
    assert.ok(statSync(join(root, 'out/copy/sub')).isDirectory());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('extract refuses to replace a directory with a file, and entries escaping the destination', async () => {
  const root = fixture();
  try {
    mkdirSync(join(root, 'out/a.txt'), { recursive: true });
    await assert.rejects(extractTarTo(packLocalPath(join(root, 'src/a.txt'), ''), join(root, 'out')), /cannot overwrite directory/);
    const evil = tarStream.pack();
    evil.entry({ name: 'esc', type: 'symlink', linkname: '/' }, Buffer.alloc(0));
    evil.entry({ name: 'esc/etc/x', size: 1 }, Buffer.from('x'));
    evil.finalize();
    mkdirSync(join(root, 'out2'));
    await assert.rejects(extractTarTo(Readable.from(evil, { objectMode: false }), join(root, 'out2')), /is outside of/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
