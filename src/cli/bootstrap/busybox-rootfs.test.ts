import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { busyboxRootfsTar, hasElfInterpreter } from './busybox-rootfs.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Listed {
  type: string;
  mode: number;
  size: number;
  linkname: string | null | undefined;
  uid: number;
  mtime: number;
}

async function list(archive: Buffer): Promise<{ names: string[]; entries: Map<string, Listed> }> {
  const extract = tar.extract();
  const names: string[] = [];
  const entries = new Map<string, Listed>();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      names.push(h.name);
      entries.set(h.name.replace(/\/$/, ''), {
        type: h.type ?? 'file',
        mode: h.mode ?? 0,
        size: h.size ?? 0,
        linkname: h.linkname,
        uid: h.uid ?? -1,
        mtime: h.mtime?.getTime() ?? -1,
      });
      entry.resume();
    }
  })();
  extract.end(archive);
  await done;
  return { names, entries };
}

test('busybox rootfs has the binary, applet links, passwd and a sticky /tmp', async () => {
  const archive = await collect(await busyboxRootfsTar());
  const { names, entries } = await list(archive);

  const busybox = entries.get('bin/busybox');
  assert.equal(busybox?.type, 'file');
  assert.equal(busybox.mode, 0o755);
  assert.ok(busybox.size > 100_000, 'bin/busybox is the real binary');

  assert.deepEqual(entries.get('bin/sh')?.type, 'symlink');
  assert.equal(entries.get('bin/sh')?.linkname, '/bin/busybox');
  assert.equal(entries.get('usr/bin/env')?.linkname, '/bin/busybox');

  assert.equal(entries.get('etc/passwd')?.type, 'file');
  assert.equal(entries.get('tmp')?.type, 'directory');
  assert.equal(entries.get('tmp')?.mode, 0o1777);
  assert.equal(entries.get('root')?.mode, 0o700);

  for (const e of entries.values()) assert.equal(e.uid, 0);
  assert.equal(new Set([...entries.values()].map((e) => e.mtime)).size, 1, 'one fixed mtime');
  assert.deepEqual(names, [...names].sort(), 'entries in sorted order');
});

test('busybox rootfs tar is byte-identical across builds', async () => {
  const a = await collect(await busyboxRootfsTar());
  const b = await collect(await busyboxRootfsTar());
  const digest = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');
  assert.equal(digest(a), digest(b));
});

test('hasElfInterpreter tells a dynamic binary from the static busybox', async () => {
  assert.equal(await hasElfInterpreter(process.execPath), true);
});
