import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile } from '../../core/atomic-write.js';
import { installNativeOps, uninstallNativeOps } from '../../core/native-ops.js';
import { hostAddon } from './host-addon.js';

const native = (...a: Parameters<ReturnType<typeof hostAddon>['atomicWrite']>): Promise<void> => hostAddon().atomicWrite(...a);

/** Runs `fn` with atomicWriteFile going through the native writer, and again through node:fs. */
async function bothWays(fn: (way: string) => Promise<void>): Promise<void> {
  for (const [way, writer] of [['native', native], ['node:fs', undefined]] as const) {
    if (writer) installNativeOps({ atomicWrite: writer });
    try {
      await fn(way);
    } finally {
      uninstallNativeOps();
    }
  }
}

test('atomicWriteFile through the native writer: content, mode, replacement, missing directories, no temp file left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  try {
    await bothWays(async (way) => {
      const file = join(dir, way, 'a', 'b', 'record.json');
      await atomicWriteFile(file, '{"v":1}\n', 0o600);
      assert.equal(readFileSync(file, 'utf8'), '{"v":1}\n', way);
      assert.equal(statSync(file).mode & 0o777, 0o600, way);
      await atomicWriteFile(file, new Uint8Array([104, 105]), 0o644, { durable: false });
      assert.equal(readFileSync(file, 'utf8'), 'hi', way);
      await atomicWriteFile(file, Buffer.alloc(3 << 20, 7), 0o644, { replacing: true });
      assert.equal(statSync(file).size, 3 << 20, way);
      await atomicWriteFile(file, '', 0o644);
      assert.equal(readFileSync(file, 'utf8'), '', way);
      assert.deepEqual(readdirSync(join(dir, way, 'a', 'b')), ['record.json'], way);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails says which step and leaves no temp file, as node:fs does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  try {
    await bothWays(async (way) => {
      const base = join(dir, way);
      mkdirSync(join(base, 'target-is-a-dir'), { recursive: true });
      // rename(2) of a file over a directory: EISDIR.
      await assert.rejects(atomicWriteFile(join(base, 'target-is-a-dir'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR', way);
      writeFileSync(join(base, 'plain-file'), 'x');
      // A file where a directory is due: ENOTDIR (node:fs's mkdir says EEXIST or ENOTDIR).
      await assert.rejects(atomicWriteFile(join(base, 'plain-file', 'sub', 'f'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST', way);
      assert.deepEqual(readdirSync(base).sort(), ['plain-file', 'target-is-a-dir'], way);
    });
    // A NUL would cut the path short in C: refused before anything is made, as node:fs refuses it.
    assert.throws(() => void native(join(dir, 'x'), join(dir, 'nope', '\0bad'), Buffer.from('x'), 0o644, true, true), /NUL/);
    assert.equal(readdirSync(dir).includes('nope'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many writes at once, each whole: the last one of each file wins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  installNativeOps({ atomicWrite: native });
  try {
    await Promise.all(Array.from({ length: 200 }, (_, i) => atomicWriteFile(join(dir, `f${i % 10}`), `${i}`.repeat(1000), 0o644, { durable: i % 2 === 0 })));
    for (let f = 0; f < 10; f++) assert.match(readFileSync(join(dir, `f${f}`), 'utf8'), /^(\d+)\1*$/);
    assert.equal(readdirSync(dir).length, 10);
  } finally {
    uninstallNativeOps();
    rmSync(dir, { recursive: true, force: true });
  }
});
