import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tarStream, { type Header, type Pack } from 'tar-stream';
import { SystemError, errnoCode } from '../../core/errors.js';
import { devMajor, devMinor, mtimeSeconds, type FileKind, type FileMeta } from './file-meta.js';
import { mountIdOfFd } from './live-mounts.js';
import { isOverlayXattr, type Xattrs } from './read-xattrs.js';

type HeaderArgument = Partial<Header> & Pick<Header, 'name'>;
type Sink = ReturnType<Pack['entry']>;

/** The octal uid/gid fields hold 6 digits; larger ids go into PAX records as Go's writer does. */
const MAX_OCTAL_ID = 0o777777;
const CHUNK = 64 * 1024;

const TAR_TYPE: Record<Exclude<FileKind, 'socket'>, Header['type']> = {
  file: 'file',
  directory: 'directory',
  symlink: 'symlink',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

export interface PackerOptions {
  /**
   * Files are read only if they really are below this directory once opened: a running container
   * that swaps a directory for a symlink to `/` mid-walk gets an error, never a host file's bytes.
   */
  confineTo: string;
  /**
   * Set when `confineTo` is a running container's `/proc/<pid>/root`: confinement then means
   * lying on one of these mounts (see live-mounts.ts).
   */
  mountIds?: ReadonlySet<number> | undefined;
  log?: (msg: string) => void;
}

/** Where an opened file must lie: below a real path, or on one of a set of mounts. */
type Confinement = { root: string } | { mountIds: ReadonlySet<number> };

/**
 * Writes files from disk as tar entries the way docker's archive package does: PAX format, times
 * in whole seconds, no user/group names, a second name of an inode as a hardlink to the first,
 * sockets skipped. Xattrs are kept except overlayfs' own (`trusted.overlay.*`, or `user.overlay.*` rootless).
 */
export class TarPacker {
  private readonly firstNameOfInode = new Map<string, string>();
  private readonly log: (msg: string) => void;

  constructor(private readonly pack: Pack, private readonly confinement: Confinement, log?: (msg: string) => void) {
    this.log = log ?? (() => undefined);
  }

  /** Adds the file at `abs` as `name` (no trailing slash; directories get one, the root `/`). */
  async addPath(abs: string, name: string, meta: FileMeta, xattrs?: Xattrs): Promise<void> {
    if (meta.kind === 'socket') return; // tar cannot hold sockets; docker skips them too
    const header = this.headerOf(name, meta, xattrs);
    const inode = meta.kind !== 'directory' && meta.nlink > 1 ? `${meta.dev}:${meta.ino}` : null;
    const first = inode === null ? undefined : this.firstNameOfInode.get(inode);
    if (first !== undefined) return await this.write({ ...header, type: 'link', linkname: first, size: 0 });
    if (meta.kind === 'symlink') {
      const target = await ifStillThere(readlink(abs));
      if (target === null) return;
      header.linkname = target;
    }
    // An empty file has no bytes to read (or to leak), so it is not opened: no read permission needed.
    if (meta.kind === 'file' && meta.size > 0) {
      const fh = await ifStillThere(this.openConfined(abs, meta));
      if (fh === null) return;
      try {
        await this.write(header, fh, meta.size);
      } finally {
        await fh.close();
      }
    } else {
      await this.write(header);
    }
    // Only a name that made it into the tar can be a later hardlink's target.
    if (inode !== null) this.firstNameOfInode.set(inode, name);
  }

  /** An empty regular file that exists only in the tar (whiteouts). */
  async addEmptyFile(name: string, attrs: { mode: number; uid: number; gid: number; mtime: number }): Promise<void> {
    await this.write({ name, type: 'file', mode: 0o100000 | attrs.mode, uid: attrs.uid, gid: attrs.gid, mtime: new Date(attrs.mtime * 1000), size: 0 });
  }

  private headerOf(name: string, meta: FileMeta, xattrs: Xattrs | undefined): HeaderArgument {
    const pax: Record<string, string> = {};
    for (const [key, value] of xattrs ?? []) {
      if (isOverlayXattr(key)) continue;
      // tar-stream writes PAX values as UTF-8 text; a binary value would arrive altered.
      const text = value.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(value)) {
        this.log(`skipping xattr ${key} of ${name}: its binary value cannot be written by tar-stream`);
        continue;
      }
      pax[`SCHILY.xattr.${key}`] = text;
    }
    if (meta.uid > MAX_OCTAL_ID) pax['uid'] = String(meta.uid);
    if (meta.gid > MAX_OCTAL_ID) pax['gid'] = String(meta.gid);
    return {
      name: meta.kind === 'directory' && !name.endsWith('/') ? `${name}/` : name,
      type: TAR_TYPE[meta.kind as Exclude<FileKind, 'socket'>],
      // The type bits keep the value non-zero: tar-stream replaces a mode of 0 (a `chmod 000`
      // file) with 0644. The header field keeps only the low 12 bits.
      mode: meta.mode,
      uid: Math.min(meta.uid, MAX_OCTAL_ID),
      gid: Math.min(meta.gid, MAX_OCTAL_ID),
      mtime: new Date(mtimeSeconds(meta) * 1000),
      size: meta.kind === 'file' ? meta.size : 0,
      linkname: '',
      uname: '',
      gname: '',
      devmajor: meta.kind.endsWith('-device') ? devMajor(meta.rdev) : 0,
      devminor: meta.kind.endsWith('-device') ? devMinor(meta.rdev) : 0,
      ...(Object.keys(pax).length > 0 ? { pax } : {}),
    };
  }

  /**
   * Opens a regular file without following a final symlink, then checks that it is the inode that
   * was walked and that it lies inside the root: the walk and the open are separate steps that a
   * running container could race.
   */
  private async openConfined(abs: string, meta: FileMeta): Promise<FileHandle> {
    // O_NONBLOCK: a file swapped for a FIFO must not hang the archive.
    const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err: unknown) => {
      if (errnoCode(err) === 'ELOOP') throw replaced(abs);
      throw err;
    });
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile() || st.ino !== meta.ino || st.dev !== meta.dev || !(await this.confined(fh.fd))) throw replaced(abs);
      return fh;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  private async confined(fd: number): Promise<boolean> {
    if ('root' in this.confinement) return (await readlink(`/proc/self/fd/${fd}`)).startsWith(`${this.confinement.root}/`);
    const id = await mountIdOfFd(fd);
    return id !== undefined && this.confinement.mountIds.has(id);
  }

  /** One entry; with a file handle, exactly `size` bytes of it (zero-padded if it shrank). */
  private async write(header: HeaderArgument, fh?: FileHandle, size = 0): Promise<void> {
    let sink: Sink | undefined;
    const done = new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      // Entries without data get an empty body, which ends them at once.
      sink = fh === undefined ? this.pack.entry(header, Buffer.alloc(0), cb) : this.pack.entry(header, cb);
    });
    done.catch(() => undefined); // awaited below; an early failure must not be unhandled
    // A failure downstream (ENOSPC writing the layer) destroys the pack and each open entry with
    // it; the entry's 'error' would be unhandled and end the daemon. It reaches `done` instead.
    sink?.on('error', () => undefined);
    if (fh !== undefined && sink !== undefined) await copyExactly(fh, size, sink);
    await done;
  }
}

function replaced(abs: string): SystemError {
  return new SystemError(`cannot archive ${abs}: it was replaced while being archived`);
}

/** A file a running container deletes between the walk and the read is skipped, as docker does. */
async function ifStillThere<T>(pending: Promise<T>): Promise<T | null> {
  try {
    return await pending;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Copies `size` bytes: a file a running container grows or truncates meanwhile must still fill
 * exactly the size its header announced, or the tar would be corrupt.
 */
async function copyExactly(fh: FileHandle, size: number, sink: Sink): Promise<void> {
  let left = size;
  while (left > 0) {
    const buf = Buffer.alloc(Math.min(CHUNK, left));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    const chunk = bytesRead === 0 ? buf : buf.subarray(0, bytesRead);
    left -= chunk.length;
    if (!sink.write(chunk)) await drained(sink);
  }
  sink.end(undefined); // streamx's typing wants the optional last chunk spelled out
}

/** Resolves on 'drain'; rejects if the entry closes first (the consumer went away). */
function drained(sink: Sink): Promise<void> {
  if (sink.destroyed || sink.destroying) return Promise.reject(new Error('the tar stream was closed'));
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => finish();
    const onClose = (): void => finish(new Error('the tar stream was closed'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
  });
}

/**
 * A tar written by `produce` while the consumer reads it: entries wait for the consumer
 * (backpressure), a failure of `produce` errors the stream, and a consumer that goes away early
 * makes `produce` fail and stop. The realpath of `confineTo` is taken first, so the confinement check compares real paths.
 */
export function packTar(opts: PackerOptions, produce: (packer: TarPacker) => Promise<void>): Readable {
  const pack = tarStream.pack();
  const run = async (): Promise<void> => {
    let confinement: Confinement;
    if (opts.mountIds !== undefined) confinement = { mountIds: opts.mountIds };
    else {
      const root = await realpath(opts.confineTo);
      confinement = { root: root === '/' ? '' : root };
    }
    await produce(new TarPacker(pack, confinement, opts.log));
  };
  run().then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return Readable.from(pack, { objectMode: false });
}
