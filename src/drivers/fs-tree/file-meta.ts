import { lstat } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.js';

export type FileKind = 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo' | 'socket';

/** What diff, commit and archives need from lstat(2), with full-precision times and device numbers. */
export interface FileMeta {
  kind: FileKind;
  /** The whole st_mode, file type bits included. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  dev: bigint;
  ino: bigint;
  nlink: number;
  rdev: bigint;
}

const S_IFMT = 0o170000;
const KIND_OF_TYPE = new Map<number, FileKind>([
  [0o100000, 'file'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o020000, 'character-device'],
  [0o060000, 'block-device'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
]);

/** lstat(2) of `abs`: a final symlink is described, never followed. */
export async function readMeta(abs: string): Promise<FileMeta> {
  const st = await lstat(abs, { bigint: true });
  const mode = Number(st.mode);
  return {
    kind: KIND_OF_TYPE.get(mode & S_IFMT) ?? 'file',
    mode,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    dev: st.dev,
    ino: st.ino,
    nlink: Number(st.nlink),
    rdev: st.rdev,
  };
}

/**
 * readMeta, or null when the entry is gone: a running container may delete files while they are
 * walked, and docker skips those rather than failing the whole diff or archive.
 */
export async function readMetaOrNull(abs: string): Promise<FileMeta | null> {
  try {
    return await readMeta(abs);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Permission, setuid, setgid and sticky bits. */
export function permissionBits(meta: FileMeta): number {
  return meta.mode & 0o7777;
}

/** glibc's major(3): the number is split across the low and the high 32 bits. */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n));
}

export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n));
}

/** overlayfs marks a deleted lower entry with a 0/0 character device in the upper dir. */
export function isWhiteoutDevice(meta: FileMeta): boolean {
  return meta.kind === 'character-device' && meta.rdev === 0n;
}

/** Whole seconds, as tar headers carry them (docker truncates too). */
export function mtimeSeconds(meta: FileMeta): number {
  return Number(meta.mtimeNs / 1_000_000_000n);
}

/**
 * docker's statDifferent: type and permission bits, owner and device number; for non-directories
 * also size and mtime. A directory's size and mtime change whenever an entry in it does, which
 * says nothing about the directory itself (moby#9874).
 */
export function metadataDiffers(before: FileMeta, after: FileMeta): boolean {
  if (before.mode !== after.mode || before.uid !== after.uid || before.gid !== after.gid || before.rdev !== after.rdev) return true;
  if (after.kind === 'directory') return false;
  return before.size !== after.size || !sameFsTime(before.mtimeNs, after.mtimeNs);
}

/** docker's sameFsTimeSpec: equal seconds, and equal nanoseconds unless one side has none (a filesystem without them). */
function sameFsTime(a: bigint, b: bigint): boolean {
  const second = 1_000_000_000n;
  if (a / second !== b / second) return false;
  return a % second === b % second || a % second === 0n || b % second === 0n;
}
