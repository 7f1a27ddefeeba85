import type { Readable } from 'node:stream';
import type { RawTarHeader } from './tar-entry-header.js';
import type { EntryContent } from './write-tar-entry.js';

/**
 * A streaming tar reader that parses exactly as Go's archive/tar, which docker uses: what docker
 * accepts we accept, what it calls a bad header we refuse (as TarFormatError). Memory is bounded:
 * file data is handed out as slices of the input's chunks, and only special files (PAX records,
 * GNU long names, sparse maps) are held whole, up to Go's 1 MiB limit.
 */

/** A malformed archive: the client's fault. Readers prefix the message with their own words. */
export class TarFormatError extends Error {}

/** The input stream itself failed (network, decompressor, digest check); `cause` says how. */
export class TarInputError extends Error {}

export interface TarEntry {
  header: RawTarHeader;
  content: EntryContent;
}

const BLOCK = 512;
/** Go's maxSpecialFileSize (libarchive's too): PAX headers, GNU long names, sparse maps. */
const MAX_SPECIAL_FILE = 1 << 20;
const MAX_SPARSE_ENTRIES = 1 << 20;
/** Holes are handed out as zero buffers of at most this size. */
const HOLE_CHUNK = 64 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
  g: 'pax-global-header',
  S: 'gnu-sparse',
};

/** Go's isHeaderOnlyType: these carry no data whatever their size field says. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

const enum Format {
  V7,
  USTAR,
  STAR,
  GNU,
}

/** A data fragment of a sparse file (Go's sparseEntry). */
interface Fragment {
  offset: number;
  length: number;
}

/** Buffered access to the input's chunks without copying them. */
class ByteSource {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly it: AsyncIterator<unknown>) {}

  /** Reads one more chunk; false at the end of the input. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    let r: IteratorResult<unknown>;
    try {
      r = await this.it.next();
    } catch (err) {
      throw new TarInputError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    if (r.done === true) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Exactly `n` bytes, or fewer at the end of the input (the caller tells 0 from a partial read). */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && (await this.fill()));
    const want = Math.min(n, this.buffered);
    const first = this.chunks[0];
    if (first !== undefined && first.length >= want) return this.take(want);
    const out = Buffer.allocUnsafe(want);
    let at = 0;
    while (at < want) {
      const part = this.take(want - at);
      part.copy(out, at);
      at += part.length;
    }
    return out;
  }

  /** Up to `max` bytes as a slice of one input chunk; an empty buffer at the end of the input. */
  async readSome(max: number): Promise<Buffer> {
    if (this.buffered === 0) while (this.buffered === 0 && (await this.fill()));
    return this.take(max);
  }

  /** Drops `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill())) break;
      left -= this.take(left).length;
    }
    return n - left;
  }

  /** Consumes the rest of the input, so that streams verifying a digest at their end get to it. */
  async drain(): Promise<void> {
    this.chunks.length = 0;
    this.buffered = 0;
    while (await this.fill()) {
      this.chunks.length = 0;
      this.buffered = 0;
    }
  }

  /** Up to `max` bytes from the first chunk. */
  private take(max: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length <= max) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(max);
    this.buffered -= max;
    return first.subarray(0, max);
  }
}

/** Where reading the current entry's data stands. */
interface Current {
  /** Bytes of the entry's data still in the input (Go's physicalRemaining). */
  physical: number;
  /** Zero padding after the data, up to the next block. */
  pad: number;
  /** For a sparse file: its holes (Go's normalized sparseHoles), the last one ending at the size. */
  holes: Fragment[] | null;
  /** Logical position in a sparse file. */
  pos: number;
}

function formatError(message: string): TarFormatError {
  return new TarFormatError(message);
}

const UNEXPECTED_EOF = 'unexpected end of file';

export class TarReader {
  private readonly src: ByteSource;
  private current: Current = { physical: 0, pad: 0, holes: null, pos: 0 };
  /** Bumped at every entry, so a stale entry's content cannot read the next one's data. */
  private generation = 0;
  private done = false;

  /** Reads `input` without destroying it when reading stops early: the caller owns it. */
  constructor(input: Readable) {
    this.src = new ByteSource(input.iterator({ destroyOnReturn: false }));
  }

  /**
   * The next entry, or null at the end of the archive (two zero blocks, or the input ending on a
   * block boundary, as in Go). Whatever of the previous entry's data was not read is skipped.
   */
  async next(): Promise<TarEntry | null> {
    if (this.done) return null;
    this.generation++;
    let pax: PaxRecords | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const block = (await this.skipRest()) ? await this.readHeaderBlock() : null;
      if (block === null) {
        this.done = true;
        return null;
      }
      const h = parseHeader(block);
      this.setData(h.size, h.flag);
      switch (h.flag) {
        case 'x':
        case 'g': {
          pax = parsePax(await this.readSpecial(h.size));
          if (h.flag === 'g') {
            // Go hands the global header out on its own and, like docker, never applies it to
            // later entries.
            const merged = mergePax(emptyHeader(h.name, 'pax-global-header'), pax, true);
            const global = emptyHeader(merged.name, 'pax-global-header');
            global.pax = merged.pax ?? null;
            if (merged.xattrs) global.xattrs = merged.xattrs;
            return this.entry(global);
          }
          continue;
        }
        case 'L':
        case 'K': {
          const value = cString(await this.readSpecial(h.size));
          if (h.flag === 'L') longName = value;
          else longLink = value;
          continue;
        }
        default: {
          const header = mergePax(h.header, pax, false);
          if (longName !== null && longName !== '') header.name = longName;
          if (longLink !== null && longLink !== '') header.linkname = longLink;
          let flag = h.flag;
          if (flag === '\0') {
            // Legacy archives mark directories with a trailing slash only.
            flag = header.name.endsWith('/') ? '5' : '0';
            header.type = TYPES[flag]!;
          }
          // PAX may have changed the size: set the data up again before reading any sparse map.
          this.setData(header.size ?? 0, flag);
          await this.sparse(header, h, block, pax);
          return this.entry(header);
        }
      }
    }
  }

  /** Consumes the rest of the input once the archive has ended (see ByteSource.drain). */
  async drain(): Promise<void> {
    await this.src.drain();
  }

  private entry(header: RawTarHeader): TarEntry {
    const generation = this.generation;
    const content = (async function* (reader: TarReader): AsyncGenerator<Buffer> {
      if (generation !== reader.generation) return;
      yield* reader.current.holes === null ? reader.readData(generation) : reader.readSparse(generation);
    })(this);
    // Skipping is lazy: next() drops whatever of the data is left.
    return { header, content: Object.assign(content, { resume: () => undefined }) };
  }

  private setData(size: number, flag: string): void {
    const n = HEADER_ONLY.has(flag) ? 0 : size;
    if (n < 0) throw formatError(`invalid tar header: negative size ${n}`);
    if (n > Number.MAX_SAFE_INTEGER) throw formatError(`invalid tar header: size ${n} is out of range`);
    this.current = { physical: n, pad: -n & (BLOCK - 1), holes: null, pos: 0 };
  }

  /** Drops the rest of the current entry; false when the input ended in its padding. */
  private async skipRest(): Promise<boolean> {
    const { physical, pad } = this.current;
    this.current = { physical: 0, pad: 0, holes: null, pos: 0 };
    if (physical > 0 && (await this.src.skip(physical)) < physical) throw formatError(UNEXPECTED_EOF);
    // Go ends the archive quietly when the input stops in the padding after the last entry.
    return pad === 0 || (await this.src.skip(pad)) === pad;
  }

  /** The next header block, or null at the end of the archive. */
  private async readHeaderBlock(): Promise<Buffer | null> {
    const block = await this.src.read(BLOCK);
    if (block.length === 0) return null;
    if (block.length < BLOCK) throw formatError(UNEXPECTED_EOF);
    if (!isZero(block)) return block;
    const second = await this.src.read(BLOCK);
    if (second.length === 0) return null;
    if (second.length < BLOCK) throw formatError(UNEXPECTED_EOF);
    if (isZero(second)) return null;
    throw formatError('invalid tar header: a zero block followed by a non-zero block');
  }

  /** A special file's whole data (Go's readSpecialFile). */
  private async readSpecial(size: number): Promise<Buffer> {
    if (size > MAX_SPECIAL_FILE) throw formatError(`header field too long: a special entry of ${size} bytes (at most ${MAX_SPECIAL_FILE})`);
    const data = await this.src.read(size);
    this.current.physical -= data.length;
    if (data.length < size) throw formatError(UNEXPECTED_EOF);
    return data;
  }

  private async *readData(generation: number): AsyncGenerator<Buffer> {
    while (this.current.physical > 0 && generation === this.generation) {
      const chunk = await this.src.readSome(this.current.physical);
      if (chunk.length === 0) throw formatError(UNEXPECTED_EOF);
      this.current.physical -= chunk.length;
      yield chunk;
    }
  }

  /** A sparse file's logical content: data fragments from the archive, holes as zeros. */
  private async *readSparse(generation: number): AsyncGenerator<Buffer> {
    const cur = this.current;
    const holes = cur.holes ?? [];
    const end = holes[holes.length - 1]!.offset + holes[holes.length - 1]!.length;
    let i = 0;
    while (cur.pos < end && generation === this.generation) {
      const hole = holes[i]!;
      if (cur.pos < hole.offset) {
        if (cur.physical === 0) throw formatError('sparse file references non-existent data');
        const chunk = await this.src.readSome(Math.min(hole.offset - cur.pos, cur.physical));
        if (chunk.length === 0) throw formatError(UNEXPECTED_EOF);
        cur.physical -= chunk.length;
        cur.pos += chunk.length;
        yield chunk;
      } else {
        const n = Math.min(hole.offset + hole.length - cur.pos, HOLE_CHUNK);
        cur.pos += n;
        yield Buffer.alloc(n);
      }
      if (cur.pos >= hole.offset + hole.length && i < holes.length - 1) i++;
    }
    if (generation === this.generation && cur.physical > 0) throw formatError('sparse file contains unreferenced data');
  }

  /** Go's handleSparseFile: old GNU ('S') and PAX (0.0, 0.1, 1.0) sparse maps. */
  private async sparse(header: RawTarHeader, h: ParsedHeader, block: Buffer, pax: PaxRecords | null): Promise<void> {
    let data: Fragment[] | null;
    if (h.flag === 'S') data = await this.oldGnuSparseMap(header, h, block);
    else data = await this.paxSparseMap(header, pax);
    if (data === null) return;
    const size = header.size ?? 0;
    if (HEADER_ONLY.has(h.flag) || !validSparse(data, size)) throw formatError(`invalid sparse map for "${header.name}"`);
    this.current.holes = invertSparse(data, size);
  }

  private async oldGnuSparseMap(header: RawTarHeader, h: ParsedHeader, block: Buffer): Promise<Fragment[]> {
    if (h.format !== Format.GNU) throw formatError(`invalid tar header: sparse entry "${header.name}" is not in GNU format`);
    const p = new NumberParser();
    header.size = p.safe(p.numeric(block, 483, 12, 'real size'), 'real size');
    p.check(header.name);
    const data: Fragment[] = [];
    let area = block.subarray(386, 386 + 24 * 4 + 1);
    let total = area.length;
    while (total < MAX_SPECIAL_FILE) {
      const entries = Math.floor(area.length / 24);
      for (let i = 0; i < entries; i++) {
        if (area[i * 24] === 0) break;
        const offset = p.safe(p.numeric(area, i * 24, 12, 'sparse offset'), 'sparse offset');
        const length = p.safe(p.numeric(area, i * 24 + 12, 12, 'sparse length'), 'sparse length');
        p.check(header.name);
        appendFragment(data, offset, length);
      }
      if (area[entries * 24] === 0) return data;
      const ext = await this.src.read(BLOCK);
      if (ext.length < BLOCK) throw formatError(UNEXPECTED_EOF);
      area = ext;
      total += ext.length;
    }
    throw formatError('sparse map too long');
  }

  private async paxSparseMap(header: RawTarHeader, pax: PaxRecords | null): Promise<Fragment[] | null> {
    const rec = pax?.text ?? {};
    const major = rec['GNU.sparse.major'] ?? '';
    const minor = rec['GNU.sparse.minor'] ?? '';
    let v1: boolean;
    if (major === '0' && (minor === '0' || minor === '1')) v1 = false;
    else if (major === '1' && minor === '0') v1 = true;
    else if (major !== '' || minor !== '') return null; // an unknown version: a plain file, as in Go
    else if ((rec['GNU.sparse.map'] ?? '') !== '') v1 = false;
    else return null;
    const name = rec['GNU.sparse.name'] ?? '';
    if (name !== '') header.name = name;
    const size = rec['GNU.sparse.size'] || rec['GNU.sparse.realsize'] || '';
    if (size !== '') header.size = goInt(size, `GNU.sparse.size of "${header.name}"`);
    return v1 ? await this.sparseMap1x0() : sparseMap0x1(rec);
  }

  /** GNU sparse 1.0: newline-separated decimals at the start of the data, in whole blocks. */
  private async sparseMap1x0(): Promise<Fragment[]> {
    const tokens: string[] = [];
    let partial = '';
    let read = 0;
    const need = async (n: number): Promise<void> => {
      while (tokens.length < n) {
        read += BLOCK;
        if (read > MAX_SPECIAL_FILE) throw formatError('sparse map too long');
        if (this.current.physical < BLOCK) throw formatError(UNEXPECTED_EOF);
        const b = await this.src.read(BLOCK);
        if (b.length < BLOCK) throw formatError(UNEXPECTED_EOF);
        this.current.physical -= BLOCK;
        // Only complete lines count; the text after the last newline waits for the next block.
        const lines = (partial + b.toString('latin1')).split('\n');
        partial = lines.pop()!;
        tokens.push(...lines);
      }
    };
    await need(1);
    const count = goInt(tokens[0]!, 'sparse map entry count');
    if (count < 0 || count > MAX_SPARSE_ENTRIES) throw formatError('invalid sparse map entry count');
    await need(1 + 2 * count);
    const data: Fragment[] = [];
    for (let i = 0; i < count; i++) {
      appendFragment(data, goInt(tokens[1 + 2 * i]!, 'sparse offset'), goInt(tokens[2 + 2 * i]!, 'sparse length'));
    }
    return data;
  }
}

function sparseMap0x1(rec: Record<string, string>): Fragment[] {
  const count = goInt(rec['GNU.sparse.numblocks'] ?? '', 'GNU.sparse.numblocks');
  if (count < 0 || count > MAX_SPARSE_ENTRIES) throw formatError('invalid GNU.sparse.numblocks');
  let parts = (rec['GNU.sparse.map'] ?? '').split(',');
  if (parts.length === 1 && parts[0] === '') parts = [];
  if (parts.length !== 2 * count) throw formatError('GNU.sparse.map does not match GNU.sparse.numblocks');
  const data: Fragment[] = [];
  for (let i = 0; i < parts.length; i += 2) appendFragment(data, goInt(parts[i]!, 'sparse offset'), goInt(parts[i + 1]!, 'sparse length'));
  return data;
}

function appendFragment(data: Fragment[], offset: number, length: number): void {
  if (data.length >= MAX_SPARSE_ENTRIES) throw formatError('sparse map too long');
  data.push({ offset, length });
}

/** Go's validateSparseEntries (BSD tar's checks). */
function validSparse(data: readonly Fragment[], size: number): boolean {
  if (size < 0) return false;
  let preEnd = 0;
  for (const cur of data) {
    if (cur.offset < 0 || cur.length < 0) return false;
    if (cur.offset + cur.length > Number.MAX_SAFE_INTEGER) return false;
    if (cur.offset + cur.length > size) return false;
    if (preEnd > cur.offset) return false;
    preEnd = cur.offset + cur.length;
  }
  return true;
}

/** Go's invertSparseEntries: data fragments → holes, coalesced; the last hole ends at `size`. */
function invertSparse(data: readonly Fragment[], size: number): Fragment[] {
  const holes: Fragment[] = [];
  let preOffset = 0;
  for (const cur of data) {
    if (cur.length === 0) continue;
    if (cur.offset - preOffset > 0) holes.push({ offset: preOffset, length: cur.offset - preOffset });
    preOffset = cur.offset + cur.length;
  }
  holes.push({ offset: preOffset, length: size - preOffset });
  return holes;
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

function isZero(block: Buffer): boolean {
  return block.equals(ZERO_BLOCK);
}

/** Go's parseString: up to the first NUL. */
function cString(b: Buffer, start = 0, length = b.length - start): string {
  const field = b.subarray(start, start + length);
  const nul = field.indexOf(0);
  return (nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

/** Go's parser: numeric fields, octal or base-256, with a sticky error. */
class NumberParser {
  private bad: string | null = null;

  /** A field's value as a bigint (base-256 may exceed 2^53; Go's limit is int64). */
  numeric(b: Buffer, start: number, length: number, what = 'numeric field'): bigint {
    const field = b.subarray(start, start + length);
    if (field.length > 0 && (field[0]! & 0x80) !== 0) {
      const negative = (field[0]! & 0x40) !== 0;
      const inv = negative ? 0xff : 0;
      let x = 0n;
      for (let i = 0; i < field.length; i++) {
        let c = field[i]! ^ inv;
        if (i === 0) c &= 0x7f;
        if (x >> 56n > 0n) return this.fail(`${what} overflows`);
        x = (x << 8n) | BigInt(c);
      }
      if (x >> 63n > 0n) return this.fail(`${what} overflows`);
      return negative ? -x - 1n : x;
    }
    return this.octal(field, what);
  }

  octal(field: Buffer, what = 'numeric field'): bigint {
    let s = 0;
    let e = field.length;
    while (s < e && (field[s] === 0 || field[s] === 0x20)) s++;
    while (e > s && (field[e - 1] === 0 || field[e - 1] === 0x20)) e--;
    if (s === e) return 0n;
    const text = cString(field, s, e - s);
    if (!/^[0-7]+$/.test(text)) return this.fail(`${what} ${JSON.stringify(text)} is not octal`);
    const x = BigInt(`0o${text}`);
    if (x >= 1n << 64n) return this.fail(`${what} overflows`);
    // Go's int64(uint64) conversion: a value with the top bit set reads as negative.
    return x >= 1n << 63n ? x - (1n << 64n) : x;
  }

  /** A value as a JS number; sizes and offsets beyond 2^53 cannot be real. */
  safe(x: bigint, what: string): number {
    if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.bad ??= `${what} ${x} is out of range`;
      return 0;
    }
    return Number(x);
  }

  check(name: string): void {
    if (this.bad !== null) throw formatError(`invalid tar header${name === '' ? '' : ` of "${name}"`}: ${this.bad}`);
  }

  get error(): string | null {
    return this.bad;
  }

  private fail(message: string): bigint {
    this.bad ??= message;
    return 0n;
  }
}

interface ParsedHeader {
  flag: string;
  name: string;
  size: number;
  format: Format;
  header: RawTarHeader;
}

/** Go's readHeader after the end-of-archive check: checksum, format, fields. */
function parseHeader(block: Buffer): ParsedHeader {
  const format = blockFormat(block);
  const p = new NumberParser();
  const flag = String.fromCharCode(block[156]!);
  let name = cString(block, 0, 100);
  const size = p.numeric(block, 124, 12, 'size');
  const mode = p.numeric(block, 100, 8, 'mode');
  const uid = p.numeric(block, 108, 8, 'uid');
  const gid = p.numeric(block, 116, 8, 'gid');
  const mtime = p.numeric(block, 136, 12, 'mtime');
  const header: RawTarHeader = {
    name,
    type: TYPES[flag] ?? null,
    linkname: cString(block, 157, 100),
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: unixDate(mtime),
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    pax: null,
  };
  let devmajor = 0n;
  let devminor = 0n;
  if (format !== Format.V7) {
    header.uname = cString(block, 265, 32);
    header.gname = cString(block, 297, 32);
    devmajor = p.numeric(block, 329, 8, 'devmajor');
    devminor = p.numeric(block, 337, 8, 'devminor');
    let prefix = '';
    if (format === Format.USTAR) prefix = cString(block, 345, 155);
    else if (format === Format.STAR) {
      prefix = cString(block, 345, 131);
      header.atime = unixDate(p.numeric(block, 476, 12, 'atime'));
    } else {
      // GNU: atime and ctime parsed on their own, since pre-1.8 Go wrote a prefix over them.
      const p2 = new NumberParser();
      const atime = block[345] !== 0 ? p2.numeric(block, 345, 12) : null;
      if (block[357] !== 0) p2.numeric(block, 357, 12);
      if (p2.error === null) {
        if (atime !== null) header.atime = unixDate(atime);
      } else {
        const s = cString(block, 345, 155);
        if (/^[\x01-\x7f]*$/.test(s)) prefix = s;
      }
    }
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  header.name = name;
  p.check(name);
  // Go reads these as int64 and may return negatives; they mean nothing valid here.
  for (const [what, v] of [['size', size], ['mode', mode], ['uid', uid], ['gid', gid], ['devmajor', devmajor], ['devminor', devminor]] as const) {
    if (v < 0n) throw formatError(`invalid tar header of "${name}": negative ${what} ${v}`);
  }
  header.size = p.safe(size, 'size');
  header.mode = p.safe(mode, 'mode');
  header.uid = p.safe(uid, 'uid');
  header.gid = p.safe(gid, 'gid');
  header.devmajor = p.safe(devmajor, 'devmajor');
  header.devminor = p.safe(devminor, 'devminor');
  p.check(name);
  return { flag, name, size: header.size, format, header };
}

/** Go's getFormat: the checksum (unsigned or signed sum) decides whether this is a header at all. */
function blockFormat(block: Buffer): Format {
  const p = new NumberParser();
  const value = p.octal(block.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += c;
    signed += c >= 0x80 ? c - 0x100 : c;
  }
  if (p.error !== null || (value !== BigInt(unsigned) && value !== BigInt(signed))) {
    throw formatError('invalid tar header: checksum mismatch');
  }
  const magic = block.toString('latin1', 257, 263);
  const version = block.toString('latin1', 263, 265);
  const trailer = block.toString('latin1', 508, 512);
  if (magic === 'ustar\0' && trailer === 'tar\0') return Format.STAR;
  if (magic === 'ustar\0') return Format.USTAR;
  if (magic === 'ustar ' && version === ' \0') return Format.GNU;
  return Format.V7;
}

/** Seconds since the epoch as a Date; an Invalid Date beyond what Date holds (bounded later). */
function unixDate(seconds: bigint): Date {
  const ms = Number(seconds) * 1000;
  return new Date(Math.abs(ms) <= 8.64e15 ? ms : NaN);
}

function emptyHeader(name: string, type: string): RawTarHeader {
  return { name, type, linkname: '', mode: 0, uid: 0, gid: 0, size: 0, mtime: new Date(0), uname: '', gname: '', devmajor: 0, devminor: 0, pax: null };
}

/** A PAX header's records: text for the keys Go reads, raw bytes for xattr values. */
interface PaxRecords {
  text: Record<string, string>;
  xattrs: Map<string, Buffer>;
}

const NUL_FORBIDDEN = new Set(['path', 'linkpath', 'uname', 'gname']);

/** Go's parsePAX and parsePAXRecord, on bytes so that binary values survive. */
function parsePax(buf: Buffer): PaxRecords {
  const text: Record<string, string> = Object.create(null) as Record<string, string>;
  const xattrs = new Map<string, Buffer>();
  const sparseMap: string[] = [];
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space < 0) throw formatError('invalid PAX record: no length');
    const lenText = buf.toString('latin1', at, space);
    if (!/^[+-]?[0-9]+$/.test(lenText)) throw formatError(`invalid PAX record length ${JSON.stringify(lenText)}`);
    const n = Number(lenText);
    if (n < 5 || n > buf.length - at || n <= lenText.length + 1) throw formatError(`invalid PAX record length ${lenText}`);
    const end = at + n;
    if (buf[end - 1] !== 0x0a) throw formatError('invalid PAX record: no newline at its end');
    const rec = buf.subarray(space + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw formatError('invalid PAX record: no "="');
    const keyBytes = rec.subarray(0, eq);
    const valueBytes = rec.subarray(eq + 1);
    const key = keyBytes.toString('utf8');
    if (key === '') throw formatError('invalid PAX record: empty key');
    if (NUL_FORBIDDEN.has(key) ? valueBytes.includes(0) : keyBytes.includes(0)) throw formatError(`invalid PAX record ${JSON.stringify(key)}: contains NUL`);
    const value = valueBytes.toString('utf8');
    at = end;
    if (key === 'GNU.sparse.offset' || key === 'GNU.sparse.numbytes') {
      // Sparse 0.0 repeats these two keys: Go folds them into a 0.1 map, checking their order.
      const wanted = sparseMap.length % 2 === 0 ? 'GNU.sparse.offset' : 'GNU.sparse.numbytes';
      if (key !== wanted || value.includes(',')) throw formatError('invalid PAX sparse 0.0 records');
      sparseMap.push(value);
      continue;
    }
    text[key] = value;
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(valueBytes));
  }
  if (sparseMap.length > 0) text['GNU.sparse.map'] = sparseMap.join(',');
  return { text, xattrs };
}

/** Go's mergePAX: records override the header's fields; an empty value keeps the header's. */
function mergePax(header: RawTarHeader, pax: PaxRecords | null, global: boolean): RawTarHeader {
  if (pax === null) return header;
  const where = `PAX record of "${header.name}"`;
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(pax.text)) {
    if (value === '') continue;
    try {
      switch (key) {
        case 'path':
          header.name = value;
          break;
        case 'linkpath':
          header.linkname = value;
          break;
        case 'uname':
          header.uname = value;
          break;
        case 'gname':
          header.gname = value;
          break;
        case 'uid':
          header.uid = goInt(value, `uid ${where}`);
          break;
        case 'gid':
          header.gid = goInt(value, `gid ${where}`);
          break;
        case 'size':
          header.size = goInt(value, `size ${where}`);
          break;
        case 'mtime':
          header.mtime = paxTime(value, `mtime ${where}`);
          break;
        case 'atime':
          header.atime = paxTime(value, `atime ${where}`);
          break;
        case 'ctime':
          header.ctime = paxTime(value, `ctime ${where}`);
          break;
        default: {
          const raw = key.startsWith('SCHILY.xattr.') ? pax.xattrs.get(key.slice('SCHILY.xattr.'.length)) : undefined;
          if (raw !== undefined) xattrs.set(key.slice('SCHILY.xattr.'.length), raw);
        }
      }
    } catch (err) {
      // Go ignores mergePAX's errors for a global header.
      if (!global) throw err;
    }
  }
  header.pax = { ...pax.text };
  if (xattrs.size > 0) header.xattrs = xattrs;
  return header;
}

/** Go's strconv.ParseInt(s, 10, 64), as a number (beyond 2^53 it is only ever refused later). */
function goInt(s: string, what: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw formatError(`invalid ${what}: ${JSON.stringify(s)} is not an integer`);
  const x = BigInt(s);
  if (x >= 1n << 63n || x < -(1n << 63n)) throw formatError(`invalid ${what}: ${s} is out of range`);
  return Number(x);
}

/** Go's parsePAXTime: integer seconds, optionally a dot and decimal digits. */
function paxTime(s: string, what: string): Date {
  const dot = s.indexOf('.');
  const secs = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  goInt(secs, what);
  if (!/^[0-9]*$/.test(frac)) throw formatError(`invalid ${what}: ${JSON.stringify(s)} is not a time`);
  const ms = Number(s) * 1000;
  return new Date(Math.abs(ms) <= 8.64e15 ? ms : NaN);
}
