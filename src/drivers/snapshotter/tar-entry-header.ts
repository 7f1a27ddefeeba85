import { InvalidParameterError } from '../../core/errors.js';
import type { TarEntryHeader } from './write-tar-entry.js';

/**
 * One entry's header as the tar reader hands it out, PAX records and GNU long names applied (the
 * field and type names are tar-stream's, which Berth used before). `type` is null for type flags
 * that name nothing we know; `pax` keeps the records as text, `xattrs` their SCHILY.xattr values as
 * the raw bytes they are.
 */
export interface RawTarHeader {
  name: string;
  type: string | null;
  linkname?: string | null;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Logical size: a sparse file's expanded size. */
  size?: number;
  /** An Invalid Date when the archive's time is beyond what a Date holds. */
  mtime?: Date;
  atime?: Date;
  ctime?: Date;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
  xattrs?: ReadonlyMap<string, Buffer>;
}

/** Linux's limits: NAME_MAX per component, PATH_MAX for a whole path (its NUL included). */
const NAME_MAX = 255;
const PATH_MAX = 4096;
/** The dev_t Linux's mknod takes from userspace: 12 bits of major, 20 of minor. */
const MAX_MAJOR = 1 << 12;
const MAX_MINOR = 1 << 20;
/** chown(2) takes a 32-bit id, and (uid_t)-1 means "leave it as it is". */
const MAX_ID = 2 ** 32 - 1;
/** docker's boundTime: times outside [epoch, the last UnixNano] are set to the epoch. */
const MAX_TIME_SECONDS = Number(2n ** 63n - 1n) / 1e9;

/**
 * Values the kernel cannot take, refused as the client's mistake before anything is written
 * (they would otherwise fail as ENAMETOOLONG, EINVAL or a RangeError: a 500). `words` prefixes
 * the message, e.g. `invalid layer tar`.
 */
export function validateTarHeader(h: RawTarHeader, words: string): void {
  const fail = (what: string): never => {
    throw new InvalidParameterError(`${words}: entry ${JSON.stringify(h.name)}: ${what}`);
  };
  checkPath(h.name, 'name', fail);
  const linkname = h.linkname ?? '';
  if (h.type === 'symlink') {
    if (linkname === '') fail('symlink has an empty target');
    if (linkname.includes('\0')) fail('symlink target contains NUL');
    if (Buffer.byteLength(linkname) >= PATH_MAX) fail(`symlink target is longer than ${PATH_MAX - 1} bytes`);
  }
  if (h.type === 'link') checkPath(linkname, 'hardlink target', fail);
  if (h.type === 'character-device' || h.type === 'block-device') {
    const major = h.devmajor ?? 0;
    const minor = h.devminor ?? 0;
    if (major >= MAX_MAJOR) fail(`device major ${major} is out of range (at most ${MAX_MAJOR - 1})`);
    if (minor >= MAX_MINOR) fail(`device minor ${minor} is out of range (at most ${MAX_MINOR - 1})`);
  }
}

function checkPath(path: string, what: string, fail: (what: string) => never): void {
  if (path.includes('\0')) fail(`${what} contains NUL`);
  if (Buffer.byteLength(path) >= PATH_MAX) fail(`${what} is longer than ${PATH_MAX - 1} bytes`);
  for (const part of path.split('/')) {
    if (Buffer.byteLength(part) > NAME_MAX) fail(`${what} has a component longer than ${NAME_MAX} bytes`);
  }
}

/**
 * The entry as the extractors write it. PAX gives sub-second times, which `pax` keeps as text;
 * `owner` overrides the ids (`docker cp` with copyUIDGID). Times are bounded as docker's chtimes
 * does, atime never before mtime.
 */
export function tarEntryHeader(path: string, kind: TarEntryHeader['kind'], h: RawTarHeader, owner?: { uid: number; gid: number }): TarEntryHeader {
  const pax = h.pax ?? {};
  const mtime = paxSeconds(pax['mtime']) ?? dateSeconds(h.mtime) ?? 0;
  const atime = Math.max(paxSeconds(pax['atime']) ?? dateSeconds(h.atime) ?? mtime, mtime);
  return {
    path,
    kind,
    mode: h.mode ?? (kind === 'directory' ? 0o755 : 0o644),
    uid: owner?.uid ?? checkedId(h.uid ?? 0, 'uid', path),
    gid: owner?.gid ?? checkedId(h.gid ?? 0, 'gid', path),
    mtime: boundTime(mtime),
    atime: boundTime(atime),
    linkname: h.linkname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
    xattrs: h.xattrs ?? new Map<string, Buffer>(),
  };
}

function checkedId(id: number, what: string, path: string): number {
  if (!Number.isSafeInteger(id) || id < 0 || id >= MAX_ID) {
    throw new InvalidParameterError(`invalid tar entry ${JSON.stringify(path)}: ${what} ${id} is out of range (0 to ${MAX_ID - 1})`);
  }
  return id;
}

function boundTime(seconds: number): number {
  return seconds >= 0 && seconds <= MAX_TIME_SECONDS ? seconds : 0;
}

function dateSeconds(d: Date | undefined): number | undefined {
  if (d === undefined) return undefined;
  const ms = d.getTime();
  // An Invalid Date is a time out of range, which boundTime turns into the epoch.
  return Number.isNaN(ms) ? -1 : ms / 1000;
}

/** The reader has checked the syntax (Go's parsePAXTime); this keeps the sub-second part. */
function paxSeconds(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : -1;
}

const KINDS: ReadonlySet<string> = new Set(['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * The kind of file an entry makes. Like docker's createTarFile, any other type flag (contiguous
 * files, vendor types, GNU sparse `S`) fails the archive rather than being dropped unseen.
 */
export function entryKind(h: RawTarHeader, invalid: string): TarEntryHeader['kind'] {
  if (h.type !== null && KINDS.has(h.type)) return h.type as TarEntryHeader['kind'];
  throw new InvalidParameterError(`${invalid}: unhandled tar header type ${h.type ?? 'unknown'} of "${h.name}"`);
}
