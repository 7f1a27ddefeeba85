/**
 * What tonistiigi/fsutil's file-transfer protocol puts on the wire, shared by the receiver and the
 * sender: packet types, Go's os.FileMode bits (fsutil's Stat.mode is a Go FileMode, not a unix
 * st_mode), the path-order rules both ends enforce, and the encoded size of a packet (fsutil's
 * progress counts that, so "transferring context: 2.3kB" matches buildkit's number).
 */
import { InvalidParameterError } from '../../../core/errors.js';
import type { FsPacket, FsStat } from '../solve-types.js';

export const PACKET_STAT = 0;
export const PACKET_REQ = 1;
export const PACKET_DATA = 2;
export const PACKET_FIN = 3;
export const PACKET_ERR = 4;

// Go's os.FileMode bits (io/fs): the type and special bits live above the permission bits.
export const MODE_DIR = 2 ** 31;
export const MODE_SYMLINK = 1 << 27;
export const MODE_DEVICE = 1 << 26;
export const MODE_NAMED_PIPE = 1 << 25;
export const MODE_SOCKET = 1 << 24;
export const MODE_SETUID = 1 << 23;
export const MODE_SETGID = 1 << 22;
export const MODE_CHAR_DEVICE = 1 << 21;
export const MODE_STICKY = 1 << 20;
export const MODE_IRREGULAR = 1 << 19;
/** Go's os.ModeType. */
const TYPE_BITS = [MODE_DIR, MODE_SYMLINK, MODE_NAMED_PIPE, MODE_SOCKET, MODE_DEVICE, MODE_CHAR_DEVICE, MODE_IRREGULAR];

const S_IFMT = 0o170000;

export type EntryKind = 'dir' | 'file' | 'symlink' | 'fifo' | 'device' | 'other';

/** Bit test on a uint32 that may exceed 2^31 (JS bitwise ops are signed 32-bit). */
const has = (mode: number, bit: number): boolean => Math.floor(mode / bit) % 2 === 1;

export function kindOf(mode: number): EntryKind {
  if (has(mode, MODE_DIR)) return 'dir';
  if (has(mode, MODE_SYMLINK)) return 'symlink';
  if (has(mode, MODE_DEVICE)) return 'device';
  if (has(mode, MODE_NAMED_PIPE)) return 'fifo';
  if (has(mode, MODE_SOCKET) || has(mode, MODE_IRREGULAR) || has(mode, MODE_CHAR_DEVICE)) return 'other';
  return 'file';
}

/** fsutil's fileCanRequestData: both ends number the STATs and only these get an ID to request. */
export function canRequestData(mode: number): boolean {
  return TYPE_BITS.every((bit) => !has(mode, bit));
}

/** The unix permission and special bits (for chmod) of a Go FileMode. */
export function unixPermissions(mode: number): number {
  return (mode & 0o777) | (has(mode, MODE_SETUID) ? 0o4000 : 0) | (has(mode, MODE_SETGID) ? 0o2000 : 0) | (has(mode, MODE_STICKY) ? 0o1000 : 0);
}

/** A unix st_mode as Go's os.Lstat reports it (fillFileStatFromSys). */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & S_IFMT) {
    case 0o060000: mode += MODE_DEVICE; break;
    case 0o020000: mode += MODE_DEVICE + MODE_CHAR_DEVICE; break;
    case 0o040000: mode += MODE_DIR; break;
    case 0o010000: mode += MODE_NAMED_PIPE; break;
    case 0o120000: mode += MODE_SYMLINK; break;
    case 0o140000: mode += MODE_SOCKET; break;
  }
  if (stMode & 0o4000) mode += MODE_SETUID;
  if (stMode & 0o2000) mode += MODE_SETGID;
  if (stMode & 0o1000) mode += MODE_STICKY;
  return mode;
}

/** Go's string order (bytewise on UTF-8), which fsutil's walk and validator use. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * fsutil's Validator: every path clean, relative and inside the tree, each one's parent a
 * directory sent before it, and names strictly increasing within a directory. What passes can
 * never name an entry twice nor reach through anything but a directory this transfer made.
 */
export class PathOrder {
  private readonly parents: { dir: string; last: string }[] = [{ dir: '', last: '' }];

  /** Throws for a path that breaks the rules; `isDir` opens it for its own entries. */
  check(path: string, isDir: boolean): void {
    const bad = (why: string): never => {
      throw new InvalidParameterError(`the client sent the file ${JSON.stringify(path)}, ${why}; the transfer is refused`);
    };
    if (path === '' || path === '.') bad('an empty path');
    if (path.startsWith('/')) bad('an absolute path');
    if (path.includes('\0')) bad('a path with a NUL byte');
    const parts = path.split('/');
    if (parts.includes('..')) bad('a path that leaves the directory');
    if (parts.some((p) => p === '' || p === '.')) bad('a path that is not clean');
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    let i = this.parents.length - 1;
    while (i >= 0 && this.parents[i]!.dir !== dir) i--;
    if (i < 0) bad('whose parent directory was not sent before it (out of order, or below a non-directory)');
    this.parents.length = i + 1;
    const parent = this.parents[i]!;
    if (parent.last !== '' && compareNames(parent.last, base) >= 0) bad(`out of order or twice (after ${JSON.stringify(parent.last)})`);
    parent.last = base;
    if (isDir) this.parents.push({ dir: path, last: '' });
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Protobuf size of an int64/uint32 field: negative int64s take ten bytes. */
const intField = (v: number): number => (v === 0 ? 0 : 1 + (v < 0 ? 10 : varintSize(v)));
const bytesField = (len: number): number => (len === 0 ? 0 : 1 + varintSize(len) + len);

function statSize(st: FsStat): number {
  let size = bytesField(Buffer.byteLength(st.path)) + intField(st.mode) + intField(st.uid) + intField(st.gid);
  size += intField(st.size) + intField(st.modTime) + bytesField(Buffer.byteLength(st.linkname)) + intField(st.devmajor) + intField(st.devminor);
  for (const [k, v] of Object.entries(st.xattrs)) size += bytesField(bytesField(Buffer.byteLength(k)) + bytesField(v.length));
  return size;
}

/** The encoded size of a packet, as fsutil's progress callback counts it. */
export function packetSize(p: FsPacket): number {
  return intField(p.type) + (p.stat ? 1 + varintSize(statSize(p.stat)) + statSize(p.stat) : 0) + intField(p.ID) + bytesField(p.data.length);
}

export function packet(type: number, fields: Partial<Omit<FsPacket, 'type'>> = {}): FsPacket {
  return { type, stat: fields.stat ?? null, ID: fields.ID ?? 0, data: fields.data ?? Buffer.alloc(0) };
}

export function emptyStat(path: string): FsStat {
  return { path, mode: 0, uid: 0, gid: 0, size: 0, modTime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: {} };
}
