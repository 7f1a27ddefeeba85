import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidParameterError, errnoCode } from '../../core/errors.js';
import { resolveInRoot } from '../../drivers/snapshotter/resolve-in-root.js';
import { extractArchive } from '../containers/changes/extract-archive.js';
import { walkTree } from '../containers/changes/walk-tree.js';
import { decompressInput, detectCompression } from '../images/archive/compression.js';
import type { SourceItem, SourceTree } from './build-context.js';

export interface CopyOptions {
  owner: { uid: number; gid: number };
  /** --chmod: the mode of every copied file and directory. */
  mode?: number;
  /** ADD: local tar archives are unpacked into the destination. */
  extractArchives: boolean;
  log: (m: string) => void;
}

interface Pending {
  abs: string;
  atime: Date;
  mtime: Date;
}

/**
 * Copies COPY/ADD sources into a mounted rootfs with docker's rules: a directory's *contents* go
 * into the destination (the directory itself is not recreated there), a file goes to the
 * destination path, or into it when the destination ends in `/` or is a directory; missing
 * parents are made; owners are root unless --chown says otherwise; modes and mtimes are kept.
 * Every destination path is resolved inside the rootfs, so symlinks in the image cannot lead
 * the copy out of it.
 */
export async function copyInto(root: string, tree: SourceTree, items: readonly SourceItem[], dest: string, opts: CopyOptions): Promise<void> {
  const destIsDir = dest.endsWith('/') || (await isDirectoryIn(root, dest));
  if (items.length > 1 && !dest.endsWith('/')) {
    throw new InvalidParameterError('When using COPY with more than one source file, the destination must be a directory and end with a /');
  }
  const dirTimes: Pending[] = [];
  for (const item of items) {
    if (item.isDir) {
      await makeDirs(root, dest, opts);
      const base = item.abs.slice(tree.root.length + 1);
      for await (const e of walkTree(item.abs)) {
        if (tree.excluded(base === '' ? e.rel : `${base}/${e.rel}`)) continue;
        await writeEntry(root, e.abs, posix.join(dest, e.rel), opts, dirTimes);
      }
      continue;
    }
    const target = destIsDir ? posix.join(dest, posix.basename(item.abs)) : dest;
    if (opts.extractArchives && (await isTarArchive(item.abs))) {
      await makeDirs(root, dest, opts);
      const destAbs = await resolveInRoot(root, dest);
      await extractArchive({ root, destPath: destAbs.slice(root.length) || '/' }, await decompressInput(createReadStream(item.abs)), { noOverwriteDirNonDir: false, owner: null, log: opts.log });
      continue;
    }
    await makeDirs(root, posix.dirname(target), opts);
    await writeEntry(root, item.abs, target, opts, dirTimes);
  }
  for (const d of dirTimes.reverse()) await utimes(d.abs, d.atime, d.mtime).catch(() => undefined);
}

async function isDirectoryIn(root: string, path: string): Promise<boolean> {
  const abs = await resolveInRoot(root, path);
  return (await lstat(abs).catch(() => null))?.isDirectory() ?? false;
}

/** mkdir -p inside the rootfs; directories it makes get the copy's owner (docker's mkdirAllAndChown). */
async function makeDirs(root: string, dir: string, opts: CopyOptions): Promise<void> {
  let current = '';
  for (const part of dir.split('/').filter((p) => p !== '' && p !== '.')) {
    current += `/${part}`;
    const abs = await resolveInRoot(root, current);
    const st = await lstat(abs).catch(() => null);
    if (st?.isDirectory()) continue;
    if (st !== null) await rm(abs, { force: true });
    await mkdir(abs, { mode: 0o755 });
    await lchown(abs, opts.owner.uid, opts.owner.gid);
  }
}

async function writeEntry(root: string, src: string, target: string, opts: CopyOptions, dirTimes: Pending[]): Promise<void> {
  const st = await lstat(src);
  const parent = await resolveInRoot(root, posix.dirname(target));
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const abs = `${parent}/${posix.basename(target)}`;
  const existing = await lstat(abs).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && !(existing.isDirectory() && st.isDirectory())) await rm(abs, { recursive: true, force: true });
  if (st.isDirectory()) {
    if (existing === null || !existing.isDirectory()) await mkdir(abs);
  } else if (st.isSymbolicLink()) await symlink(await readlink(src), abs);
  else if (st.isFile()) await copyFile(src, abs);
  else {
    opts.log(`skipping ${src}: only files, directories and symlinks are copied`);
    return;
  }
  await lchown(abs, opts.owner.uid, opts.owner.gid);
  if (!st.isSymbolicLink()) await chmod(abs, opts.mode ?? st.mode & 0o7777);
  if (st.isDirectory()) dirTimes.push({ abs, atime: st.atime, mtime: st.mtime });
  else await lutimes(abs, st.atime, st.mtime);
}

/** A tar archive, plain or compressed, as docker's ADD recognises one (by content, not by name). */
async function isTarArchive(path: string): Promise<boolean> {
  const head = await readHead(createReadStream(path, { start: 0, end: 511 }));
  if (head.length === 0) return false;
  const kind = detectCompression(head);
  const body = kind === 'none' ? head : await readHead(await decompressInput(createReadStream(path))).catch(() => Buffer.alloc(0));
  return body.length >= 262 && body.subarray(257, 262).toString('latin1') === 'ustar';
}

async function readHead(stream: NodeJS.ReadableStream & { destroy(): void }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n >= 512) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, 512);
}
