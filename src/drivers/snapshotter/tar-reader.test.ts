import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidParameterError, SystemError } from '../../core/errors.js';
import { readTarEntries } from './read-tar-entries.js';
import { tarEntryHeader, type RawTarHeader } from './tar-entry-header.js';
import { TarFormatError, TarReader } from './tar-reader.js';

/** A header block with any field set to anything, checksum included. */
interface Fields {
  name?: string;
  mode?: string | Buffer;
  uid?: string | Buffer;
  gid?: string | Buffer;
  size?: number | Buffer;
  mtime?: string | Buffer;
  type?: string;
  linkname?: string;
  format?: 'ustar' | 'gnu' | 'v7';
  devmajor?: string | Buffer;
  devminor?: string | Buffer;
  prefix?: string;
  /** Raw bytes to put at an offset after the fields (sparse maps, odd bytes). */
  at?: Array<[number, Buffer | string]>;
  /** 'signed' writes the Sun tar (signed bytes) sum; a number writes that value; 'none' nothing. */
  checksum?: 'unsigned' | 'signed' | 'none' | number;
}

function put(b: Buffer, offset: number, width: number, value: string | Buffer): void {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  assert.ok(bytes.length <= width, `field at ${offset} too long`);
  bytes.copy(b, offset);
}

const oct = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0';

function header(f: Fields): Buffer {
  const b = Buffer.alloc(512);
  put(b, 0, 100, f.name ?? 'file');
  put(b, 100, 8, f.mode ?? oct(0o644, 8));
  put(b, 108, 8, f.uid ?? oct(0, 8));
  put(b, 116, 8, f.gid ?? oct(0, 8));
  put(b, 124, 12, typeof f.size === 'object' ? f.size : oct(f.size ?? 0, 12));
  put(b, 136, 12, f.mtime ?? oct(1_700_000_000, 12));
  put(b, 156, 1, f.type ?? '0');
  put(b, 157, 100, f.linkname ?? '');
  const format = f.format ?? 'ustar';
  if (format === 'ustar') put(b, 257, 8, 'ustar\x0000');
  if (format === 'gnu') put(b, 257, 8, 'ustar  \0');
  if (format !== 'v7') {
    put(b, 329, 8, f.devmajor ?? oct(0, 8));
    put(b, 337, 8, f.devminor ?? oct(0, 8));
  }
  if (f.prefix !== undefined) put(b, 345, 155, f.prefix);
  for (const [offset, value] of f.at ?? []) put(b, offset, 512 - offset, value);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c >= 0x80 ? c - 256 : c;
  }
  const sum = f.checksum ?? 'unsigned';
  if (sum !== 'none') put(b, 148, 8, oct(sum === 'unsigned' ? unsigned : sum === 'signed' ? signed : sum, 7) + ' ');
  return b;
}

const pad = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc(-data.length & 511)]);

/** An entry: its header (size from the data unless given) and its padded data. */
function entry(f: Fields, data: Buffer | string = ''): Buffer {
  const body = Buffer.from(data);
  return Buffer.concat([header({ size: body.length, ...f }), pad(body)]);
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const v = Buffer.from(value);
  const rest = Buffer.byteLength(key) + v.length + 3;
  let n = rest + String(rest).length;
  if (String(n).length !== String(rest).length) n++;
  return Buffer.concat([Buffer.from(`${n} ${key}=`), v, Buffer.from('\n')]);
}

const pax = (records: Array<[string, string | Buffer]>, type = 'x'): Buffer =>
  entry({ name: 'PaxHeaders/x', type }, Buffer.concat(records.map(([k, v]) => paxRecord(k, v))));

const END = Buffer.alloc(1024);

/** 256 base-256 bytes: a positive or negative value in a field of `width` bytes. */
function base256(value: bigint, width: number): Buffer {
  const b = Buffer.alloc(width);
  let x = value < 0n ? (1n << BigInt(width * 8)) + value : value;
  for (let i = width - 1; i >= 0; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[0]! |= 0x80;
  if (value < 0n) b[0]! |= 0x40;
  return b;
}

/** The input cut into `chunk`-byte pieces, so that every field can straddle a chunk boundary. */
function input(bytes: Buffer, chunk = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
}

interface Read {
  header: RawTarHeader;
  data: string;
}

async function readAll(bytes: Buffer, chunk = 7): Promise<Read[]> {
  const reader = new TarReader(input(bytes, chunk));
  const out: Read[] = [];
  for (let e = await reader.next(); e !== null; e = await reader.next()) {
    const parts: Buffer[] = [];
    for await (const c of e.content) parts.push(c as Buffer);
    out.push({ header: e.header, data: Buffer.concat(parts).toString('latin1') });
  }
  await reader.drain();
  return out;
}

async function rejects(bytes: Buffer, message: RegExp): Promise<void> {
  await assert.rejects(readAll(bytes), (err: unknown) => {
    assert.ok(err instanceof TarFormatError, `not a TarFormatError: ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

const WORDS = { invalid: 'invalid layer tar', unreadable: 'cannot read layer tar', failed: 'cannot unpack layer', inconsistentCodes: [] };

/** What readTarEntries hands out (names and data), or its error. */
async function entries(bytes: Buffer | Readable): Promise<Read[]> {
  const out: Read[] = [];
  await readTarEntries(Buffer.isBuffer(bytes) ? input(bytes) : bytes, WORDS, async (header, content) => {
    const parts: Buffer[] = [];
    for await (const c of content) parts.push(c as Buffer);
    out.push({ header, data: Buffer.concat(parts).toString('latin1') });
  });
  return out;
}

async function invalid(bytes: Buffer, message: RegExp): Promise<void> {
  await assert.rejects(entries(bytes), (err: unknown) => {
    assert.ok(err instanceof InvalidParameterError, `not an InvalidParameterError: ${String(err)}`);
    assert.match(err.message, /^invalid layer tar: /);
    assert.match(err.message, message);
    return true;
  });
}

describe('TarReader: headers as Go reads them', () => {
  it('reads USTAR files, directories, links and devices, with the prefix field, whatever the chunking', async () => {
    const tar = Buffer.concat([
      entry({ name: 'dir/', type: '5', mode: oct(0o755, 8) }),
      entry({ name: 'f.txt', prefix: 'dir/sub', uid: oct(1000, 8), gid: oct(100, 8) }, 'hello'),
      entry({ name: 'ln', type: '2', linkname: 'f.txt' }),
      entry({ name: 'hard', type: '1', linkname: 'dir/sub/f.txt', size: 99 }),
      entry({ name: 'null', type: '3', devmajor: oct(1, 8), devminor: oct(3, 8) }),
      END,
    ]);
    for (const chunk of [1, 7, 512, tar.length]) {
      const got = await readAll(tar, chunk);
      assert.deepEqual(
        got.map((e) => [e.header.name, e.header.type, e.data]),
        [
          ['dir/', 'directory', ''],
          ['dir/sub/f.txt', 'file', 'hello'],
          ['ln', 'symlink', ''],
          ['hard', 'link', ''],
          ['null', 'character-device', ''],
        ],
      );
      assert.equal(got[1]!.header.uid, 1000);
      assert.equal(got[1]!.header.gid, 100);
      assert.equal(got[1]!.header.mode, 0o644);
      assert.equal(got[1]!.header.mtime?.getTime(), 1_700_000_000_000);
      assert.equal(got[4]!.header.devminor, 3);
    }
  });

  it('a header-only type with a size has no data (Go skips nothing after it)', async () => {
    const got = await readAll(Buffer.concat([header({ name: 'd', type: '5', size: 1024 }), entry({ name: 'next' }, 'x'), END]));
    assert.deepEqual(got.map((e) => e.header.name), ['d', 'next']);
  });

  it('a V7 NUL type flag is a directory when the name ends in a slash, else a file', async () => {
    const got = await readAll(Buffer.concat([entry({ name: 'd/', type: '\0', format: 'v7' }), entry({ name: 'f', type: '\0', format: 'v7' }, 'x'), END]));
    assert.deepEqual(got.map((e) => [e.header.name, e.header.type, e.data]), [['d/', 'directory', ''], ['f', 'file', 'x']]);
  });

  it('ends at two zero blocks, reads nothing after them, and still drains the input', async () => {
    let drained = false;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.concat([entry({ name: 'a' }, 'x'), END]);
      yield entry({ name: 'after-the-end' }, 'y');
      yield Buffer.from('garbage that is not a tar');
      drained = true;
    }
    const got = await entries(Readable.from(source()));
    assert.deepEqual(got.map((e) => e.header.name), ['a']);
    assert.ok(drained);
  });

  it('ends quietly at the end of the input on a block boundary, or after one zero block', async () => {
    assert.deepEqual((await readAll(entry({ name: 'a' }, 'x'))).map((e) => e.data), ['x']);
    assert.deepEqual((await readAll(Buffer.concat([entry({ name: 'a' }, 'x'), Buffer.alloc(512)]))).length, 1);
    assert.deepEqual(await readAll(Buffer.alloc(0)), []);
  });

  it('a zero block followed by a non-zero block is an invalid header', async () => {
    await rejects(Buffer.concat([entry({ name: 'a' }), Buffer.alloc(512), entry({ name: 'b' }), END]), /zero block followed by a non-zero block/);
  });

  it('a truncated header or data is an unexpected end of file', async () => {
    const full = Buffer.concat([entry({ name: 'a' }, 'x'.repeat(600)), END]);
    await rejects(full.subarray(0, 300), /^unexpected end of file$/);
    await rejects(full.subarray(0, 512 + 100), /^unexpected end of file$/);
    await invalid(full.subarray(0, 512 + 100), /unexpected end of file$/);
  });

  it('checks the header checksum, accepting the signed (Sun tar) sum too', async () => {
    await rejects(Buffer.concat([header({ name: 'a', checksum: 1234 }), END]), /checksum/);
    await rejects(Buffer.concat([header({ name: 'a', checksum: 'none' }), END]), /checksum/);
    const name = Buffer.from('caf\xe9', 'latin1').toString('latin1');
    const got = await readAll(Buffer.concat([header({ name: 'x', at: [[0, Buffer.from(name, 'latin1')]], checksum: 'signed' }), END]));
    assert.equal(got.length, 1);
  });

  it('an octal field with junk in it is an invalid header', async () => {
    await rejects(Buffer.concat([header({ name: 'a', mode: '06x4\0' }), END]), /mode "06x4" is not octal/);
  });

  it('reads base-256 numbers, and refuses negative ones (but a time before 1970 is a time)', async () => {
    const big = 2n ** 40n;
    const got = await readAll(Buffer.concat([header({ name: 'a', uid: base256(big, 8), mtime: base256(-86400n, 12) }), END]));
    assert.equal(got[0]!.header.uid, Number(big));
    assert.equal(got[0]!.header.mtime?.getTime(), -86_400_000);
    await rejects(Buffer.concat([header({ name: 'a', uid: base256(-5n, 8) }), END]), /negative uid -5/);
    await rejects(Buffer.concat([header({ name: 'a', size: base256(-1n, 12) }), END]), /negative size/);
    await rejects(Buffer.concat([header({ name: 'a', type: '3', devmajor: base256(-1n, 8) }), END]), /negative devmajor/);
  });
});

describe('TarReader: GNU and PAX extensions', () => {
  it('GNU long names and link names apply to the next entry only', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const target = 't'.repeat(150);
    const got = await readAll(
      Buffer.concat([
        entry({ name: '././@LongLink', type: 'L', format: 'gnu' }, `${long}\0`),
        entry({ name: '././@LongLink', type: 'K', format: 'gnu' }, target),
        entry({ name: 'short', type: '2', format: 'gnu' }),
        entry({ name: 'plain', format: 'gnu' }, 'p'),
        END,
      ]),
    );
    assert.deepEqual(got.map((e) => [e.header.name, e.header.linkname]), [[long, target], ['plain', '']]);
  });

  it('PAX records override the header for the next entry only, with binary xattrs as bytes', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x00, 0x80]);
    const got = await readAll(
      Buffer.concat([
        pax([
          ['path', 'a/very/long/name'],
          ['linkpath', 'somewhere'],
          ['uid', '4294967294'],
          ['gid', '70000'],
          ['mtime', '1700000000.5'],
          ['atime', '1700000100'],
          ['uname', 'üser'],
          ['SCHILY.xattr.security.capability', cap],
          ['SCHILY.xattr.user.empty', ''],
        ]),
        entry({ name: 'ignored', type: '2', linkname: 'x' }),
        entry({ name: 'next' }, 'n'),
        END,
      ]),
    );
    const [a, b] = got;
    assert.equal(a!.header.name, 'a/very/long/name');
    assert.equal(a!.header.linkname, 'somewhere');
    assert.equal(a!.header.uid, 4294967294);
    assert.equal(a!.header.gid, 70000);
    assert.equal(a!.header.mtime?.getTime(), 1_700_000_000_500);
    assert.equal(a!.header.atime?.getTime(), 1_700_000_100_000);
    assert.equal(a!.header.uname, 'üser');
    assert.deepEqual([...(a!.header.xattrs ?? new Map())], [['security.capability', cap]]);
    assert.equal(b!.header.name, 'next');
    assert.equal(b!.header.uid, 0);
    assert.equal(b!.header.xattrs, undefined);
    assert.equal(tarEntryHeader('x', 'symlink', a!.header).xattrs.get('security.capability')?.equals(cap), true);
  });

  it('a PAX size overrides the header size', async () => {
    const got = await readAll(Buffer.concat([pax([['size', '3']]), header({ name: 'a', size: 0 }), pad(Buffer.from('abc')), entry({ name: 'b' }), END]));
    assert.deepEqual(got.map((e) => [e.header.name, e.data]), [['a', 'abc'], ['b', '']]);
  });

  it('PAX global headers are handed out on their own and never applied to later entries', async () => {
    const tar = Buffer.concat([pax([['uid', '42'], ['path', 'global']], 'g'), entry({ name: 'a' }, 'x'), END]);
    const got = await readAll(tar);
    assert.deepEqual(got.map((e) => [e.header.name, e.header.type, e.header.uid]), [['global', 'pax-global-header', 0], ['a', 'file', 0]]);
    assert.deepEqual((await entries(tar)).map((e) => [e.header.name, e.header.uid]), [['a', 0]]);
  });

  it('PAX record syntax errors are invalid headers', async () => {
    const bad = (body: string): Buffer => Buffer.concat([entry({ name: 'p', type: 'x' }, body), entry({ name: 'a' }), END]);
    await rejects(bad('11 path=abc'), /no newline|record length/);
    await rejects(bad('9 path=abc\n'), /no newline/);
    await rejects(bad('99 path=abc\n'), /record length/);
    await rejects(bad('3 a\n'), /record length/);
    await rejects(bad('x path=abc\n'), /record length/);
    await rejects(bad('11 pathabc\n'), /no "="/);
    await rejects(bad('7 =abc\n'), /empty key/);
    await rejects(Buffer.concat([pax([['path', 'a\0b']]), entry({ name: 'a' }), END]), /contains NUL/);
  });

  it('PAX numbers Go cannot parse are invalid headers: fractional or out-of-range ids, times like -1e20', async () => {
    const bad = (key: string, value: string): Buffer => Buffer.concat([pax([[key, value]]), entry({ name: 'a' }), END]);
    await rejects(bad('uid', '1.5'), /invalid uid .*"1.5" is not an integer/);
    await rejects(bad('gid', '99999999999999999999'), /out of range/);
    await rejects(bad('mtime', '-1e20'), /invalid mtime/);
    await rejects(bad('atime', 'NaN'), /invalid atime/);
    await rejects(bad('mtime', '1.5e3'), /invalid mtime/);
    await rejects(bad('size', '-1'), /negative size/);
    await invalid(bad('uid', '1.5'), /invalid uid/);
  });

  it('a special entry larger than 1 MiB is refused', async () => {
    await rejects(Buffer.concat([header({ name: 'L', type: 'L', format: 'gnu', size: (1 << 20) + 1 }), END]), /header field too long/);
  });
});

describe('TarReader: sparse files', () => {
  /** A 10-byte sparse file: "ab" at 2, "cd" at 8 (Go's sparseDatas), stored densely as "abcd". */
  const expanded = '\0\0ab\0\0\0\0cd';

  it('expands old GNU sparse (type S) entries, which readTarEntries refuses as docker does', async () => {
    const sparseMap: Array<[number, Buffer | string]> = [
      [386, oct(2, 12)],
      [398, oct(2, 12)],
      [410, oct(8, 12)],
      [422, oct(2, 12)],
      [483, oct(10, 12)],
    ];
    const tar = Buffer.concat([entry({ name: 'sparse', type: 'S', format: 'gnu', at: sparseMap }, 'abcd'), END]);
    const got = await readAll(tar);
    assert.deepEqual(got.map((e) => [e.header.name, e.header.type, e.header.size, e.data]), [['sparse', 'gnu-sparse', 10, expanded]]);
    await invalid(tar, /unhandled tar header type 83/);
  });

  it('expands PAX sparse 0.0, 0.1 and 1.0 regular files', async () => {
    const v00 = pax([
      ['GNU.sparse.size', '10'],
      ['GNU.sparse.numblocks', '2'],
      ['GNU.sparse.offset', '2'],
      ['GNU.sparse.numbytes', '2'],
      ['GNU.sparse.offset', '8'],
      ['GNU.sparse.numbytes', '2'],
    ]);
    const v01 = pax([
      ['GNU.sparse.major', '0'],
      ['GNU.sparse.minor', '1'],
      ['GNU.sparse.name', 'real-name'],
      ['GNU.sparse.size', '10'],
      ['GNU.sparse.numblocks', '2'],
      ['GNU.sparse.map', '2,2,8,2'],
    ]);
    const v10 = pax([
      ['GNU.sparse.major', '1'],
      ['GNU.sparse.minor', '0'],
      ['GNU.sparse.name', 'real-name'],
      ['GNU.sparse.realsize', '10'],
    ]);
    for (const [records, data] of [
      [v00, Buffer.from('abcd')],
      [v01, Buffer.from('abcd')],
      [v10, Buffer.concat([pad(Buffer.from('2\n2\n2\n8\n2\n')), Buffer.from('abcd')])],
    ] as const) {
      const got = await entries(Buffer.concat([records, entry({ name: 'GNUSparseFile.0/real-name' }, data), entry({ name: 'after' }, 'z'), END]));
      assert.deepEqual(got.map((e) => [e.header.size, e.data]), [[10, expanded], [1, 'z']]);
    }
  });

  it('a sparse map out of order, past the size, or not matching the data is refused', async () => {
    const sparse = (map: string, data: string): Buffer =>
      Buffer.concat([pax([['GNU.sparse.major', '0'], ['GNU.sparse.minor', '1'], ['GNU.sparse.size', '10'], ['GNU.sparse.numblocks', String(map.split(',').length / 2)], ['GNU.sparse.map', map]]), entry({ name: 's' }, data), END]);
    await rejects(sparse('8,2,2,2', 'abcd'), /invalid sparse map/);
    await rejects(sparse('2,2,9,2', 'abcd'), /invalid sparse map/);
    await rejects(sparse('2,2,8,2', 'abc'), /non-existent data/);
    await rejects(sparse('2,2,8,2', 'abcde'), /unreferenced data/);
    await rejects(sparse('2,2,8', 'abcd'), /numblocks/);
  });
});

describe('readTarEntries: values the kernel cannot take are InvalidParameterError', () => {
  it('names with a component over 255 bytes or a path over 4095 bytes', async () => {
    await invalid(Buffer.concat([pax([['path', `d/${'x'.repeat(256)}`]]), entry({ name: 'a' }), END]), /component longer than 255 bytes/);
    await invalid(Buffer.concat([pax([['path', `${'d'.repeat(200)}/`.repeat(21)]]), entry({ name: 'a' }), END]), /longer than 4095 bytes/);
    await invalid(Buffer.concat([entry({ name: 'h', type: '1', linkname: 'x' }), pax([['linkpath', 'y'.repeat(300)]]), entry({ name: 'h2', type: '1' }), END]), /hardlink target has a component/);
  });

  it('symlinks with an empty target', async () => {
    await invalid(Buffer.concat([entry({ name: 'ln', type: '2' }), END]), /"ln": symlink has an empty target/);
  });

  it('device numbers beyond what dev_t holds', async () => {
    await invalid(Buffer.concat([entry({ name: 'dev', type: '4', devmajor: oct(4096, 8) }), END]), /device major 4096 is out of range/);
    await invalid(Buffer.concat([entry({ name: 'dev', type: '3', devminor: base256(1n << 20n, 8) }), END]), /device minor 1048576 is out of range/);
    const ok = await entries(Buffer.concat([entry({ name: 'dev', type: '3', devmajor: oct(4095, 8), devminor: oct((1 << 20) - 1, 8) }), END]));
    assert.equal(ok.length, 1);
  });

  it('ids chown cannot set, unless the owner is overridden', () => {
    const h: RawTarHeader = { name: 'a', type: 'file', uid: 2 ** 32 - 1, gid: 0 };
    assert.throws(() => tarEntryHeader('a', 'file', h), (err: unknown) => err instanceof InvalidParameterError && /uid 4294967295 is out of range/.test(err.message));
    assert.throws(() => tarEntryHeader('a', 'file', { ...h, uid: 0, gid: -1 }), InvalidParameterError);
    assert.equal(tarEntryHeader('a', 'file', h, { uid: 5, gid: 6 }).uid, 5);
    assert.equal(tarEntryHeader('a', 'file', { ...h, uid: 2 ** 32 - 2 }).uid, 2 ** 32 - 2);
  });

  it('times are bounded as docker does: before 1970 or past 2262 is the epoch, atime never before mtime', () => {
    const at = (pax: Record<string, string>, mtime?: Date): [number, number] => {
      const t = tarEntryHeader('a', 'file', { name: 'a', type: 'file', pax, ...(mtime ? { mtime } : {}) });
      return [t.mtime, t.atime];
    };
    assert.deepEqual(at({ mtime: '1700000000.25', atime: '1600000000' }), [1700000000.25, 1700000000.25]);
    assert.deepEqual(at({ mtime: '-5' }), [0, 0]);
    assert.deepEqual(at({ mtime: '99999999999' }), [0, 0]);
    assert.deepEqual(at({}, new Date(NaN)), [0, 0]);
    assert.deepEqual(at({ atime: '1800000000' }, new Date(1_700_000_000_000)), [1_700_000_000, 1_800_000_000]);
  });

  it('a failing input is the input\'s error: typed errors pass, others are SystemError', async () => {
    const failing = (err: Error): Readable =>
      Readable.from(
        (async function* () {
          yield entry({ name: 'a' }, 'x');
          throw err;
        })(),
      );
    await assert.rejects(entries(failing(new InvalidParameterError('digest mismatch'))), /^InvalidParameterError: digest mismatch$/);
    await assert.rejects(entries(failing(new Error('socket hang up'))), (err: unknown) => err instanceof SystemError && err.message === 'cannot read layer tar: socket hang up');
  });
});
