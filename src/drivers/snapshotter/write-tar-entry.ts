import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { InvalidParameterError, errnoCode, errorMessage } from '../../core/errors.js';
import { writeChunks } from '../../core/file-sink.js';
import { hostAddon } from '../host/host-addon.js';
import { isOverlayXattr } from '../fs-tree/read-xattrs.js';
import { fdPath, type DirFd, type RootedFs } from '../host/rooted-fs.js';

/** The parts of a tar header one entry needs, already cleaned and with PAX values applied. */
export interface TarEntryHeader {
  /** Cleaned path relative to the layer root (never '', the root is handled by the caller). */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, fractional when PAX gave sub-second precision. */
  mtime: number;
  atime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>` records, as the bytes they are. */
  xattrs: ReadonlyMap<string, Buffer>;
}

/** An entry's data as the tar reader gives it; `resume` discards what is not read. */
export type EntryContent = AsyncIterable<unknown> & { resume(): unknown };

/** What a file entry is made from: the archive's data, or a file to copy (COPY, ADD). */
export type EntrySource = EntryContent | { copyFrom: string };

/** Directories whose times are due once the archive is written, by path and inode. */
export type DirTimes = Array<{ rel: string; dev: number; ino: number; atime: number; mtime: number }>;

export interface EntryContext {
  /** The root every path stays in. */
  fs: RootedFs;
  /** Directory times are set after the whole layer, as later entries would change them. */
  dirTimes: DirTimes;
  /** What a message calls a bad archive, e.g. `invalid layer tar`. */
  invalid: string;
  log: (msg: string) => void;
}

/**
 * Creates entry `base` of directory `dir` (resolved inside the root; `base` itself is never
 * followed; the header's values already checked by validateTarHeader) and applies its metadata through an fd of what was made, so nothing swapped in at
 * that name later can take the chown, chmod, xattrs or times. Whatever non-directory was there is
 * replaced, like docker.
 */
export async function writeTarEntry(dir: DirFd, base: string, h: TarEntryHeader, content: EntrySource, ctx: EntryContext): Promise<void> {
  const at = dir.entry(base);
  const existing = await lstat(at).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  const keepDir = existing !== null && existing.isDirectory() && h.kind === 'directory';
  if (existing && !keepDir) await rm(at, { recursive: true, force: true });

  switch (h.kind) {
    case 'file': {
      if ('copyFrom' in content) {
        // COPYFILE_EXCL: created with O_EXCL, which never follows a symlink at `at`.
        await copyFile(content.copyFrom, at, constants.COPYFILE_EXCL);
        return await withEntryFd(at, h, ctx, () => undefined);
      }
      // O_EXCL|O_NOFOLLOW: the name was just cleared, so anything there now is not ours to follow.
      const fh = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        // Not stream.pipeline: it never settles on some truncated tars; writeChunks' plain iteration rejects as it should.
        await writeChunks(fh, content);
        await applyMetadata(fdPath(fh.fd), h, ctx);
      } finally {
        await fh.close();
      }
      return;
    }
    case 'directory':
      if (!keepDir) await mkdir(at, 0o700);
      return await withEntryFd(at, h, ctx, (st) => {
        ctx.dirTimes.push({ rel: relativeTo(ctx.fs, `${dir.realPath}/${base}`), dev: st.dev, ino: st.ino, atime: h.atime, mtime: h.mtime });
      });
    case 'symlink':
      // The target text is kept as is: it only resolves at run time, inside the container's root.
      await symlink(h.linkname, at);
      await lchown(at, h.uid, h.gid);
      for (const [name, value] of h.xattrs) setXattr(at, false, name, value, h, ctx);
      await lutimes(at, h.atime, h.mtime);
      return;
    case 'link':
      // The target inode already carries its metadata.
      return await linkInRoot(ctx, h.linkname, at, h.path);
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      const c = hostAddon().constants;
      const type = h.kind === 'fifo' ? c.S_IFIFO : h.kind === 'character-device' ? c.S_IFCHR : c.S_IFBLK;
      try {
        hostAddon().mknod(at, type | 0o600, h.devmajor, h.devminor);
      } catch (err) {
        // EPERM: overlayfs keeps 0:0 character devices for its whiteouts (a running container's
        // rootfs), and a host may forbid devices: the request asks what cannot be done here.
        if (errnoCode(err) !== 'EPERM') throw err;
        throw new InvalidParameterError(`${ctx.invalid}: cannot create ${h.kind} "${h.path}" (${h.devmajor}:${h.devminor}): ${errorMessage(err)}`, { cause: err });
      }
      return await withEntryFd(at, h, ctx, () => undefined);
    }
  }
}

/** Opens what was just made at `at` (O_PATH, never following it) and applies the metadata through it. */
async function withEntryFd(at: string, h: TarEntryHeader, ctx: EntryContext, also: (st: { dev: number; ino: number }) => void): Promise<void> {
  const c = hostAddon().constants;
  const fd = openSync(at, c.O_PATH | constants.O_NOFOLLOW);
  try {
    also(fstatSync(fd));
    await applyMetadata(fdPath(fd), h, ctx);
  } finally {
    closeSync(fd);
  }
}

/** Owner, mode, xattrs and (but for directories, done at the end) times, through an fd's path. */
async function applyMetadata(inode: string, h: TarEntryHeader, ctx: EntryContext): Promise<void> {
  await chown(inode, h.uid, h.gid);
  // chmod after chown: chown clears setuid/setgid.
  await chmod(inode, h.mode & 0o7777);
  // xattrs after chown too, which would drop security.capability.
  for (const [name, value] of h.xattrs) setXattr(inode, true, name, value, h, ctx);
  if (h.kind !== 'directory') await utimes(inode, h.atime, h.mtime);
}

function setXattr(path: string, follow: boolean, name: string, value: Buffer, h: TarEntryHeader, ctx: EntryContext): void {
  // A layer must not forge overlayfs' own metadata (opaque, redirect, origin…): that belongs to the
  // driver, which writes it from OCI whiteouts.
  if (isOverlayXattr(name)) {
    ctx.log(`skipping xattr ${name} on ${h.path}: reserved for overlayfs`);
    return;
  }
  try {
    hostAddon().setxattr(path, name, value, follow);
  } catch (err) {
    const code = errnoCode(err);
    // As docker: a filesystem or object that takes no such xattr (user.* on a symlink, trusted.*
    // without CAP_SYS_ADMIN, security.selinux off SELinux) loses it with a warning.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      ctx.log(`ignoring xattr ${name} on ${h.path}: ${errorMessage(err)}`);
      return;
    }
    if (code === 'EINVAL' || code === 'ERANGE' || code === 'E2BIG' || code === 'ENAMETOOLONG') {
      throw new InvalidParameterError(`${ctx.invalid}: xattr ${name} of "${h.path}" is invalid: ${errorMessage(err)}`, { cause: err });
    }
    throw err;
  }
}

/** `abs` (a real path below the root) as a path relative to the root. */
function relativeTo(fs: RootedFs, abs: string): string {
  if (abs === fs.realRoot) return '';
  // A running container's root, opened through /proc/<pid>/root, is `/` to the kernel's d_path.
  return abs.slice(fs.realRoot === '/' ? 1 : fs.realRoot.length + 1);
}

/**
 * Hardlinks `at` (free) to `target` (relative to the root; `/` and `..` never leave it). The target's
 * parent is resolved inside the root and its last component taken as is: link(2) does not follow
 * a final symlink either, so a link to a symlink links the symlink.
 */
async function linkInRoot(ctx: EntryContext, target: string, at: string, entry: string): Promise<void> {
  const clean: string[] = [];
  for (const part of target.split('/')) {
    if (part === '..') clean.pop();
    else if (part !== '' && part !== '.') clean.push(part);
  }
  const name = clean.pop();
  if (name === undefined) throw new InvalidParameterError(`${ctx.invalid}: hardlink "${entry}" points at a directory ("${target}")`);
  let parent: DirFd;
  try {
    parent = await ctx.fs.dir(clean.join('/'));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') {
      throw new InvalidParameterError(`${ctx.invalid}: hardlink "${entry}" points at "${target}", which is not in the archive's root`, { cause: err });
    }
    throw err;
  }
  try {
    await link(parent.entry(name), at);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InvalidParameterError(`${ctx.invalid}: hardlink "${entry}" points at "${target}", which is not in the archive's root`, { cause: err });
    }
    if (code === 'EPERM') throw new InvalidParameterError(`${ctx.invalid}: hardlink "${entry}" points at directory "${target}"`, { cause: err });
    throw err;
  } finally {
    parent.close();
  }
}

/**
 * Sets directory times once the archive is written (in tar order, so a repeated entry wins), each
 * through an fd of the directory re-resolved inside the root and only if it is still the inode
 * the entry made: a directory a later entry removed, or swapped for a symlink, keeps its times.
 */
export async function restoreDirTimes(fs: RootedFs, dirTimes: DirTimes): Promise<void> {
  for (const d of dirTimes) {
    try {
      await fs.withSameInode(d.rel, d, (path) => utimes(path, d.atime, d.mtime));
    } catch (err) {
      throw new Error(`cannot set times of ${d.rel}: ${errorMessage(err)}`, { cause: err });
    }
  }
}
