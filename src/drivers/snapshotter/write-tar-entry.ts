import { constants, lchown, chmod, lutimes, link, lstat, mkdir, open, rm, symlink } from 'node:fs/promises';
import { InvalidParameterError, errnoCode, errorMessage } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { cleanInRoot, resolveInRoot } from './resolve-in-root.js';

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

export type DirTimes = Array<{ path: string; atime: number; mtime: number }>;

export interface EntryContext {
  root: string;
  /** Directory times are set after the whole layer, as later entries would change them. */
  dirTimes: DirTimes;
  log: (msg: string) => void;
}

/**
 * Creates one entry at `abs` (its parent already resolved inside the root; `abs` itself is never
 * followed) and applies its metadata. Whatever non-directory was there is replaced, like docker.
 */
export async function writeTarEntry(abs: string, h: TarEntryHeader, content: EntryContent, ctx: EntryContext): Promise<void> {
  const existing = await lstat(abs).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  const keepDir = existing !== null && existing.isDirectory() && h.kind === 'directory';
  if (existing && !keepDir) await rm(abs, { recursive: true, force: true });

  switch (h.kind) {
    case 'file': {
      // O_EXCL|O_NOFOLLOW: the path was just cleared, so anything there now is not ours to follow.
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fh = await open(abs, flags, 0o600);
      try {
        // Not stream.pipeline: it treats tar-stream's streamx entries as Node streams and never
        // settles when the tar is truncated mid-file; plain iteration rejects as it should.
        for await (const chunk of content) await fh.write(chunk as Uint8Array);
      } finally {
        await fh.close();
      }
      break;
    }
    case 'directory':
      if (!keepDir) await mkdir(abs, 0o700);
      break;
    case 'symlink':
      // The target text is kept as is: it only resolves at run time, inside the container's root.
      await symlink(h.linkname, abs);
      break;
    case 'link':
      await writeHardlink(abs, h, ctx.root);
      return; // the target inode already carries its metadata
    case 'character-device':
    case 'block-device':
      await runCommand('mknod', ['-m', '600', abs, h.kind === 'character-device' ? 'c' : 'b', String(h.devmajor), String(h.devminor)]);
      break;
    case 'fifo':
      await runCommand('mknod', ['-m', '600', abs, 'p']);
      break;
  }
  await applyMetadata(abs, h, ctx);
}

async function writeHardlink(abs: string, h: TarEntryHeader, root: string): Promise<void> {
  // Link names are relative to the layer root like entry names, whatever `/` or `..` they carry.
  const clean = cleanInRoot(h.linkname);
  if (clean === '') throw new InvalidParameterError(`invalid layer tar: hardlink "${h.path}" points at the root directory`);
  // Resolve the target's parent in the root and take its last component as is: link(2) does not
  // follow a final symlink either, so a link to a symlink links the symlink.
  const slash = clean.lastIndexOf('/');
  const parent = await resolveInRoot(root, slash < 0 ? '' : clean.slice(0, slash));
  const target = `${parent}/${clean.slice(slash + 1)}`;
  try {
    await link(target, abs);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InvalidParameterError(`invalid layer tar: hardlink "${h.path}" points at "${h.linkname}", which is not in the layer`, { cause: err });
    }
    if (code === 'EPERM') {
      throw new InvalidParameterError(`invalid layer tar: hardlink "${h.path}" points at directory "${h.linkname}"`, { cause: err });
    }
    throw err;
  }
}

async function applyMetadata(abs: string, h: TarEntryHeader, ctx: EntryContext): Promise<void> {
  await lchown(abs, h.uid, h.gid);
  // chmod after chown: chown clears setuid/setgid. Symlink modes are meaningless on Linux.
  if (h.kind !== 'symlink') await chmod(abs, h.mode & 0o7777);
  // xattrs after chown too, which would drop security.capability.
  for (const [name, value] of h.xattrs) await setXattr(abs, name, value, ctx.log);
  if (h.kind === 'directory') ctx.dirTimes.push({ path: abs, atime: h.atime, mtime: h.mtime });
  else await lutimes(abs, h.atime, h.mtime);
}

async function setXattr(abs: string, name: string, value: Buffer, log: (msg: string) => void): Promise<void> {
  // A layer must not forge overlayfs' own metadata (opaque, redirect, origin…): that belongs to the
  // driver, which writes it from OCI whiteouts.
  if (name.startsWith('trusted.overlay.')) {
    log(`skipping xattr ${name} on ${abs}: reserved for overlayfs`);
    return;
  }
  // Hex keeps any byte (NUL included) intact on the command line; -h: never follow a symlink.
  const hex = `0x${value.toString('hex')}`;
  const res = await runCommand('setfattr', ['-h', '-n', name, '-v', hex, abs], { allowFailure: true });
  if (res.code === 0) return;
  // trusted.* needs CAP_SYS_ADMIN and security.selinux an SELinux host; docker ignores those too.
  if (name.startsWith('trusted.') || name === 'security.selinux') {
    log(`ignoring xattr ${name} on ${abs}: ${res.stderr.trim()}`);
    return;
  }
  throw new Error(`cannot set xattr ${name} on ${abs}: ${res.stderr.trim() || `exit ${res.code}`}`);
}

/**
 * Sets directory times once the layer is written (in tar order, so a repeated entry wins), skipping
 * directories that a later entry or whiteout removed.
 */
export async function restoreDirTimes(dirTimes: DirTimes): Promise<void> {
  for (const d of dirTimes) {
    try {
      await lutimes(d.path, d.atime, d.mtime);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw new Error(`cannot set times of ${d.path}: ${errorMessage(err)}`, { cause: err });
    }
  }
}
