import { createReadStream } from 'node:fs';
import { lchown, lstat, readlink, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidParameterError } from '../../core/errors.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import { restoreDirTimes, writeTarEntry, type EntryContext, type TarEntryHeader } from '../../drivers/snapshotter/write-tar-entry.js';
import { extractArchive } from '../rootfs/index.js';
import { walkTree } from '../../drivers/fs-tree/walk-tree.js';
import { decompressInput, detectCompression } from '../../core/compression.js';
import { hasTarMagic } from '../../core/tar-magic.js';
import type { SourceItem, SourceTree } from './build-context.js';

export interface CopyOptions {
  owner: { uid: number; gid: number };
  /** --chmod: the mode of every copied file and directory. */
  mode?: number;
  /** ADD: local tar archives are unpacked into the destination. */
  extractArchives: boolean;
  log: (m: string) => void;
}

/**
 * Copies COPY/ADD sources into a mounted rootfs with docker's rules: a directory's *contents* go
 * into the destination (the directory itself is not recreated there), a file goes to the
 * destination path, or into it when the destination ends in `/` or is a directory; missing
 * parents are made; owners are root unless --chown says otherwise; modes and mtimes are kept.
 * Every destination path is resolved inside the rootfs and every entry's metadata set through an
 * fd of it, so symlinks in the image or among the sources cannot lead the copy out of it.
 */
export async function copyInto(root: string, tree: SourceTree, items: readonly SourceItem[], dest: string, opts: CopyOptions): Promise<void> {
  await RootedFs.with(root, async (fs) => {
    const destIsDir = dest.endsWith('/') || (await fs.isDirectory(dest));
    if (items.length > 1 && !dest.endsWith('/')) {
      throw new InvalidParameterError('When using COPY with more than one source file, the destination must be a directory and end with a /');
    }
    const ctx: EntryContext = { fs, dirTimes: [], invalid: 'cannot copy', log: opts.log };
    for (const item of items) {
      if (item.isDir) {
        await makeDirs(fs, dest, opts);
        const base = item.abs.slice(tree.root.length + 1);
        for await (const e of walkTree(item.abs)) {
          if (tree.excluded(base === '' ? e.rel : `${base}/${e.rel}`)) continue;
          await writeEntry(e.abs, posix.join(dest, e.rel), opts, ctx);
        }
        continue;
      }
      const target = destIsDir ? posix.join(dest, posix.basename(item.abs)) : dest;
      if (opts.extractArchives && (await isTarArchive(item.abs))) {
        await makeDirs(fs, dest, opts);
        const destAbs = await resolveInRoot(root, dest);
        await extractArchive({ root, destPath: destAbs.slice(root.length) || '/' }, await decompressInput(createReadStream(item.abs)), { noOverwriteDirNonDir: false, clampToDestination: true, owner: null, log: opts.log });
        continue;
      }
      await makeDirs(fs, posix.dirname(target), opts);
      await writeEntry(item.abs, target, opts, ctx);
    }
    // Deepest first, as before: a parent's time is set after its children's.
    await restoreDirTimes(fs, ctx.dirTimes.reverse());
  });
}

/**
 * mkdir -p inside the rootfs; directories it makes get the copy's owner (docker's
 * mkdirAllAndChown), and a file where a directory is due is replaced by one.
 */
async function makeDirs(fs: RootedFs, dir: string, opts: CopyOptions): Promise<void> {
  const chownMade = (made: string): Promise<void> => lchown(made, opts.owner.uid, opts.owner.gid);
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const parent = await fs.makeDirs(parts.slice(0, i).join('/'), 0o755, chownMade);
    try {
      const at = parent.entry(parts[i] as string);
      const st = await lstat(at).catch(() => null);
      if (st !== null && !st.isDirectory() && !st.isSymbolicLink()) await rm(at, { force: true });
    } finally {
      parent.close();
    }
  }
  (await fs.makeDirs(parts.join('/'), 0o755, chownMade)).close();
}

const NO_CONTENT = { [Symbol.asyncIterator]: async function* () {}, resume: () => undefined };

async function writeEntry(src: string, target: string, opts: CopyOptions, ctx: EntryContext): Promise<void> {
  const st = await lstat(src);
  const kind = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : null;
  if (kind === null) {
    opts.log(`skipping ${src}: only files, directories and symlinks are copied`);
    return;
  }
  const header: TarEntryHeader = {
    path: target,
    kind,
    mode: opts.mode ?? st.mode & 0o7777,
    uid: opts.owner.uid,
    gid: opts.owner.gid,
    mtime: st.mtimeMs / 1000,
    atime: st.atimeMs / 1000,
    linkname: kind === 'symlink' ? await readlink(src) : '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
  const parent = await ctx.fs.makeDirs(posix.dirname(target), 0o755);
  try {
    await writeTarEntry(parent, posix.basename(target), header, kind === 'file' ? { copyFrom: src } : NO_CONTENT, ctx);
  } finally {
    parent.close();
  }
}

/** A tar archive, plain or compressed, as docker's ADD recognises one (by content, not by name). */
async function isTarArchive(path: string): Promise<boolean> {
  const head = await readHead(createReadStream(path, { start: 0, end: 511 }));
  if (head.length === 0) return false;
  const kind = detectCompression(head);
  const body = kind === 'none' ? head : await readHead(await decompressInput(createReadStream(path))).catch(() => Buffer.alloc(0));
  return hasTarMagic(body);
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
