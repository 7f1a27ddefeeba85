/**
 * The root-confined filesystem layer: every path an archive, a build context or a COPY names is
 * resolved inside a root directory as if that root were `/`, and the entries found or made are
 * handled through file descriptors, so that no symlink planted by the archive (or by a process in
 * a running container) can lead a write, a metadata change or a read out of the root.
 *
 * Resolution is openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS from an fd of the root
 * (Linux ≥ 5.6): the kernel re-roots absolute symlinks and `..` at the root in one walk that
 * nothing can race. Older kernels get the lexical walk of resolveInRoot followed by a check of
 * the opened fd's real path (/proc/self/fd/N), which refuses anything that ended outside.
 *
 * An fd stands for its inode whatever is renamed or swapped afterwards; `/proc/self/fd/N` is the
 * path form of it that node:fs calls accept (the kernel follows that magic link to exactly the
 * fd's inode), and `/proc/self/fd/N/name` names one entry of a directory fd with no lookup but
 * that last component, which l-calls (lstat, lchown, lutimes, symlink, link, unlink) never follow.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.js';
import { resolveInRoot } from './resolve-in-root.js';
import { hostAddon } from './host-addon.js';

/** The path form of an fd: the kernel follows it to exactly the fd's inode. */
export const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

let openat2Works: boolean | undefined;

/** A directory inside a root, held open (O_PATH): its entries are named by `entry(name)`. */
export class DirFd {
  private closed = false;
  constructor(
    readonly fd: number,
    /** The directory's real path when it was opened, for messages and bookkeeping. */
    readonly realPath: string,
  ) {}

  /** The path of one entry of this directory: only `name` itself is looked up. */
  entry(name: string): string {
    return `${fdPath(this.fd)}/${name}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** A root directory the daemon trusts (its own scratch dir, a mounted rootfs, a context dir). */
export class RootedFs {
  private constructor(
    readonly root: string,
    readonly realRoot: string,
    private readonly rootFd: number,
  ) {}

  static open(root: string): RootedFs {
    const a = hostAddon().constants;
    const fd = openSync(root, a.O_PATH | a.O_DIRECTORY | constants.O_RDONLY);
    try {
      // The kernel's own name for the open directory (what openChecked compares against), in
      // one readlink: realpathSync walked it again component by component, about a dozen
      // syscalls on the main thread per root opened, several roots per container start.
      return new RootedFs(root, readlinkSync(fdPath(fd)), fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Runs `fn` with the root open, closing it whatever happens. */
  static async with<T>(root: string, fn: (fs: RootedFs) => Promise<T>): Promise<T> {
    const fs = RootedFs.open(root);
    try {
      return await fn(fs);
    } finally {
      fs.close();
    }
  }

  close(): void {
    closeSync(this.rootFd);
  }

  /**
   * Opens `rel` (a path relative to the root; `/` and `..` never leave it) with `flags`. Symlinks
   * on the way are followed inside the root; the last component too unless `O_NOFOLLOW` is in
   * `flags` (with O_PATH that opens the symlink itself). Throws node:fs-style errno errors.
   */
  async open(rel: string, flags: number, mode = 0): Promise<number> {
    const a = hostAddon();
    if (openat2Works !== false) {
      try {
        const fd = a.openat2(this.rootFd, rel === '' ? '.' : rel, flags, mode, a.constants.RESOLVE_IN_ROOT | a.constants.RESOLVE_NO_MAGICLINKS);
        openat2Works = true;
        return fd;
      } catch (err) {
        if (errnoCode(err) !== 'ENOSYS' || openat2Works === true) throw err;
        openat2Works = false;
      }
    }
    return this.openChecked(rel, flags, mode);
  }

  /** open(), or undefined when nothing is at `rel` (or a file stands where a directory is due). */
  private async openIfThere(rel: string, flags: number): Promise<number | undefined> {
    try {
      return await this.open(rel, flags);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
      throw err;
    }
  }

  /** Kernels without openat2: resolve lexically, then refuse an fd that is not below the root. */
  private async openChecked(rel: string, flags: number, mode: number): Promise<number> {
    const nofollow = (flags & constants.O_NOFOLLOW) !== 0;
    const slash = rel.lastIndexOf('/');
    const path = nofollow
      ? `${await resolveInRoot(this.root, slash < 0 ? '' : rel.slice(0, slash))}/${rel.slice(slash + 1)}`
      : await resolveInRoot(this.root, rel);
    const fd = openSync(path, flags, mode);
    const real = readlinkSync(fdPath(fd));
    if (real === this.realRoot || real.startsWith(this.realRoot === '/' ? '/' : `${this.realRoot}/`)) return fd;
    closeSync(fd);
    throw Object.assign(new Error(`EXDEV: ${rel} resolved outside ${this.root} (a symlink was swapped in meanwhile)`), { code: 'EXDEV' });
  }

  /** The directory at `rel`, following symlinks inside the root. */
  async dir(rel: string): Promise<DirFd> {
    const c = hostAddon().constants;
    const fd = await this.open(rel, c.O_PATH | c.O_DIRECTORY);
    return new DirFd(fd, readlinkSync(fdPath(fd)));
  }

  /** Whether `rel` is a directory, symlinks followed inside the root. */
  async isDirectory(rel: string): Promise<boolean> {
    const c = hostAddon().constants;
    const fd = await this.openIfThere(rel, c.O_PATH | c.O_DIRECTORY);
    if (fd === undefined) return false;
    closeSync(fd);
    return true;
  }

  /**
   * The directory at `rel`, made with its missing parents (mkdir -p inside the root; a dangling
   * symlink on the way leads where it points, inside the root). `made` sees each new directory
   * (as a /proc/self/fd path) to set its owner.
   */
  async makeDirs(rel: string, mode: number, made?: (path: string) => Promise<void>): Promise<DirFd> {
    try {
      return await this.dir(rel);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    // Where the symlinks lead now, so that every component left to make is a plain name.
    const resolved = (await resolveInRoot(this.root, rel)).slice(this.root.length);
    return await this.walkDirs(resolved, async (current, part) => {
      const next = `${fdPath(current.fd)}/${part}`;
      try {
        await mkdir(next, mode);
        if (made) await made(next);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      // One component, never followed: a symlink swapped in meanwhile fails the walk.
      return openDirNoFollow(next);
    });
  }

  /**
   * makeDirs as docker's untar does it (os.MkdirAll in its chroot): symlinks on the way are
   * followed inside the root, but one that leads nowhere fails with ENOENT instead of having a
   * directory made where it points. `rel` is clean (no `.` or `..` parts).
   */
  async makeDirsNoDangling(rel: string, mode: number): Promise<DirFd> {
    try {
      return await this.dir(rel);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    let prefix = '';
    return await this.walkDirs(rel, async (current, part) => {
      prefix = prefix === '' ? part : `${prefix}/${part}`;
      try {
        return await this.dir(prefix);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      // Nothing resolves there: made by name in the directory reached so far, unless something
      // already stands there (a symlink to a missing path).
      const at = `${fdPath(current.fd)}/${part}`;
      await mkdir(at, mode).catch((e: unknown) => {
        if (errnoCode(e) === 'EEXIST') throw Object.assign(new Error(`ENOENT: /${prefix} is a symlink to a path that does not exist`), { code: 'ENOENT', path: `/${prefix}` });
        throw e;
      });
      return openDirNoFollow(at);
    });
  }

  /** From the root, `step` takes each component of `rel` to the next directory; closes what it leaves. */
  private async walkDirs(rel: string, step: (current: DirFd, part: string) => Promise<DirFd>): Promise<DirFd> {
    let current = await this.dir('');
    try {
      for (const part of rel.split('/')) {
        if (part === '') continue;
        const next = await step(current, part);
        current.close();
        current = next;
      }
      return current;
    } catch (err) {
      current.close();
      throw err;
    }
  }

  /**
   * The contents of the regular file at `rel`, symlinks followed inside the root; undefined when
   * there is none (or it is a directory, a fifo, a device…).
   */
  async readFile(rel: string): Promise<Buffer | undefined> {
    // O_NONBLOCK: opening a fifo would otherwise wait for a writer that never comes.
    const fd = await this.openIfThere(rel, constants.O_RDONLY | constants.O_NONBLOCK);
    if (fd === undefined) return undefined;
    try {
      if (!fstatSync(fd).isFile()) return undefined;
      return await readFile(fdPath(fd));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Calls `fn` with the inode at `rel` (never following its last component) if it is still the
   * one `expected` describes: metadata deferred to later (directory times) cannot be redirected
   * to whatever a later entry put at that path.
   */
  async withSameInode(rel: string, expected: { dev: number; ino: number }, fn: (path: string, st: Stats) => Promise<void>): Promise<boolean> {
    const fd = await this.openIfThere(rel, hostAddon().constants.O_PATH | constants.O_NOFOLLOW);
    if (fd === undefined) return false;
    try {
      const st = fstatSync(fd);
      if (st.dev !== expected.dev || st.ino !== expected.ino) return false;
      await fn(fdPath(fd), st);
      return true;
    } finally {
      closeSync(fd);
    }
  }
}

/** The directory at `path` (its last component not followed), held open. */
function openDirNoFollow(path: string): DirFd {
  const c = hostAddon().constants;
  const fd = openSync(path, c.O_PATH | c.O_DIRECTORY | constants.O_NOFOLLOW);
  return new DirFd(fd, readlinkSync(fdPath(fd)));
}
