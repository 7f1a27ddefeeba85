/**
 * A raw tar writer for hostile archives: every header field can be set to anything (numbers
 * too large for octal become base-256, Buffers are written as they are), the size field may lie
 * about the data that follows, the checksum may be wrong, and entries may follow the end marker.
 * tar-stream refuses most of that, which is why the hostile corpus does not use it for writing.
 */

export type Field = number | bigint | Buffer;

export interface Header {
  name: string | Buffer;
  /** '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' PAX, 'g' PAX global, 'L'/'K' GNU long name/link. */
  type?: string;
  mode?: Field;
  uid?: Field;
  gid?: Field;
  /** The size field; the data written is what the entry gives, whatever this says. */
  size?: Field;
  mtime?: Field;
  linkname?: string | Buffer;
  uname?: string;
  gname?: string;
  devmajor?: Field;
  devminor?: Field;
  prefix?: string | Buffer;
  /** 'bad' writes a wrong checksum; a number writes that one. */
  checksum?: 'bad' | number;
  /** 'ustar' (default, POSIX), 'gnu' ("ustar  \0"), 'v7' (no magic). */
  magic?: 'ustar' | 'gnu' | 'v7';
}

const BLOCK = 512;

function putString(buf: Buffer, off: number, len: number, v: string | Buffer): void {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  b.copy(buf, off, 0, Math.min(len, b.length));
}

/** An octal field (NUL-terminated) or, when it does not fit, base-256 (negative ones too). */
function putNumber(buf: Buffer, off: number, len: number, v: Field): void {
  if (Buffer.isBuffer(v)) {
    v.copy(buf, off, 0, Math.min(len, v.length));
    return;
  }
  const n = BigInt(v);
  const oct = n >= 0n ? n.toString(8) : '';
  if (n >= 0n && oct.length <= len - 1) {
    buf.write(oct.padStart(len - 1, '0') + '\0', off, 'ascii');
    return;
  }
  // base-256: two's complement big-endian, first byte's high bit set (0x80 positive, 0xff negative).
  let x = n < 0n ? (1n << BigInt(len * 8)) + n : n;
  for (let i = len - 1; i >= 0; i--) {
    buf[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  buf[off] = n < 0n ? 0xff : 0x80;
}

export function header(h: Header, dataLength: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  putString(b, 0, 100, h.name);
  putNumber(b, 100, 8, h.mode ?? (h.type === '5' ? 0o755 : 0o644));
  putNumber(b, 108, 8, h.uid ?? 0);
  putNumber(b, 116, 8, h.gid ?? 0);
  putNumber(b, 124, 12, h.size ?? dataLength);
  putNumber(b, 136, 12, h.mtime ?? 1_600_000_000);
  b.write(h.type ?? '0', 156, 'latin1');
  putString(b, 157, 100, h.linkname ?? '');
  const magic = h.magic ?? 'ustar';
  if (magic === 'ustar') b.write('ustar\x0000', 257, 'latin1');
  else if (magic === 'gnu') b.write('ustar  \x00', 257, 'latin1');
  putString(b, 265, 32, h.uname ?? '');
  putString(b, 297, 32, h.gname ?? '');
  putNumber(b, 329, 8, h.devmajor ?? 0);
  putNumber(b, 337, 8, h.devminor ?? 0);
  putString(b, 345, 155, h.prefix ?? '');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  if (h.checksum === 'bad') sum += 1;
  else if (typeof h.checksum === 'number') sum = h.checksum;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return b;
}

const pad = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** PAX records: "len key=value\n" with the length counting itself. */
export function paxRecords(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${k}=`), typeof v === 'string' ? Buffer.from(v) : v, Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(len)), body]));
  }
  return Buffer.concat(parts);
}

export type EntryOptions = Partial<Omit<Header, 'name'>>;

/** Builds a tar one raw piece at a time. */
export class TarWriter {
  private parts: Buffer[] = [];

  /** A header and its data (padded to a block); h.size may say something else. */
  entry(h: Header, data: Buffer | string = Buffer.alloc(0)): this {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    h = this.fitNames(h);
    this.parts.push(header(h, d.length), d, pad(d.length));
    return this;
  }

  /**
   * A string name over 100 bytes goes into the ustar prefix when it splits at a '/', else into a
   * PAX path record; a string link target over 100 bytes into a PAX linkpath record. Buffers and
   * explicit prefixes are written as they are.
   */
  private fitNames(h: Header): Header {
    const records: Record<string, string> = {};
    let out = h;
    if (typeof h.name === 'string' && Buffer.byteLength(h.name) > 100 && h.prefix === undefined) {
      const cut = h.name.lastIndexOf('/', h.name.length - 2);
      const prefix = cut > 0 ? h.name.slice(0, cut) : '';
      const rest = cut > 0 ? h.name.slice(cut + 1) : h.name;
      if (cut > 0 && Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) out = { ...out, name: rest, prefix };
      else records.path = h.name;
    }
    if (typeof h.linkname === 'string' && Buffer.byteLength(h.linkname) > 100) records.linkpath = h.linkname;
    if (Object.keys(records).length > 0) this.pax(records);
    return out;
  }

  file(name: string | Buffer, data: Buffer | string = '', o: EntryOptions = {}): this {
    return this.entry({ ...o, name, type: o.type ?? '0' }, data);
  }

  dir(name: string | Buffer, o: EntryOptions = {}): this {
    return this.entry({ ...o, name, type: '5' });
  }

  symlink(name: string | Buffer, target: string | Buffer, o: EntryOptions = {}): this {
    return this.entry({ mode: 0o777, ...o, name, type: '2', linkname: target });
  }

  hardlink(name: string | Buffer, target: string | Buffer, o: EntryOptions = {}): this {
    return this.entry({ ...o, name, type: '1', linkname: target });
  }

  device(name: string, type: '3' | '4' | '6', major: Field, minor: Field, o: EntryOptions = {}): this {
    return this.entry({ ...o, name, type, devmajor: major, devminor: minor });
  }

  /** A PAX extended header ('x') for the next entry, or a global one ('g'). */
  pax(records: Record<string, string | Buffer>, global = false): this {
    return this.entry({ name: global ? 'pax_global_header' : 'PaxHeader', type: global ? 'g' : 'x' }, paxRecords(records));
  }

  /** A GNU long name ('L') or long link ('K') for the next entry. */
  gnuLong(kind: 'L' | 'K', value: string | Buffer): this {
    const v = Buffer.concat([typeof value === 'string' ? Buffer.from(value) : value, Buffer.from([0])]);
    return this.entry({ name: '././@LongLink', type: kind, magic: 'gnu' }, v);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  /** The end-of-archive marker: two zero blocks. */
  end(): this {
    this.parts.push(Buffer.alloc(BLOCK * 2));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function tar(): TarWriter {
  return new TarWriter();
}
