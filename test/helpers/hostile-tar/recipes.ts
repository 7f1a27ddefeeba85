/**
 * The hostile-archive corpus: recipes generated combinatorially (each trick at several depths,
 * with absolute and `../` targets, through directories, files, symlinks and hardlinks), all aimed
 * at the victim directory. A 'layer' recipe is a filesystem tar that every unpacking route gets
 * (load, pull, import, the archive API, ADD, the build context); a 'context' recipe is a build
 * context whose trick only a build can fall for.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { gzipSync, zstdCompressSync, constants as zc } from 'node:zlib';
import { tar, type TarWriter } from './tar.js';
import type { Victim } from './victim.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export interface Recipe {
  name: string;
  family: string;
  kind: 'layer' | 'context';
  /** The bytes as sent (compressed when the recipe says so). */
  bytes: Buffer;
  compression: Compression;
  /** sha256 of the uncompressed tar, for the docker-save config and the registry manifest. */
  diffId: string;
  /** For context recipes: the build's `dockerfile` query parameter. */
  dockerfile?: string;
  /** Paths in the resulting filesystem that must not exist (e.g. entries after the end marker). */
  absent?: string[];
  /** A response (body, error, image config) matching this shows a host file was used. */
  leak?: RegExp;
  /** Only these routes (default: every route of its kind). */
  routes?: string[];
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function viaTool(tool: string, data: Buffer): Buffer {
  const r = spawnSync(tool, ['-c'], { input: data, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

export function compress(kind: Compression, data: Buffer): Buffer {
  switch (kind) {
    case 'none':
      return data;
    case 'gzip':
      return gzipSync(data, { level: 1 });
    case 'zstd':
      return zstdCompressSync(data, { params: { [zc.ZSTD_c_compressionLevel]: 1 } });
    default:
      return viaTool(kind, data);
  }
}

/** A zstd frame whose header asks for a 2 GiB window, holding `data` as one raw block. */
function zstdHugeWindow(data: Buffer): Buffer {
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  const frameHeader = Buffer.from([0x00, (21 << 3) | 0]); // no FCS, not single segment; windowLog 31
  const blockHeader = Buffer.alloc(3);
  blockHeader.writeUIntLE((data.length << 3) | 1, 0, 3); // last block, raw
  return Buffer.concat([magic, frameHeader, blockHeader, data]);
}

const DEEP = '../'.repeat(16);

interface Builder {
  name: string;
  family: string;
  kind?: 'layer' | 'context';
  build: (t: TarWriter) => void;
  /** Ends the tar with the end marker (default true). */
  end?: boolean;
  compression?: Compression;
  raw?: (plain: Buffer) => Buffer;
  dockerfile?: string;
  absent?: string[];
  leak?: RegExp;
  routes?: string[];
}

/** The whole corpus for one victim. `bombMiB` sizes the compression bombs. */
export function corpus(v: Victim, opts: { bombMiB?: number } = {}): Recipe[] {
  const V = v.dir;
  const Vrel = V.slice(1);
  /** How a recipe names the victim: absolute, or `../` from anywhere. */
  const targets: Array<[string, string]> = [['abs', V], ['rel', DEEP + Vrel]];
  const depths = [0, 1, 2, 3];
  const under = (depth: number): string => Array.from({ length: depth }, (_, i) => `p${i}/`).join('');
  const parents = (t: TarWriter, depth: number): void => {
    for (let i = 1; i <= depth; i++) t.dir(under(i));
  };
  const list: Builder[] = [];
  const add = (b: Builder): void => void list.push(b);
  const M = 1_234_567_890; // an mtime the victim never has

  // --- traversal: names that climb out, as each entry type, at the victim's new and existing names.
  const climbs: Array<[string, (p: string) => string]> = [
    ['dotdot', (p) => `${DEEP}${Vrel}/${p}`],
    ['absolute', (p) => `${V}/${p}`],
    ['inner-dotdot', (p) => `a/b/${DEEP}${Vrel}/${p}`],
    ['dot-slash', (p) => `./${DEEP}${Vrel}/${p}`],
    ['double-slash', (p) => `/${V}/${p}`],
  ];
  for (const [how, path] of climbs) {
    const aims = how === 'dot-slash' || how === 'double-slash' ? [['new', 'trav-new']] as const : [['new', 'trav-new'], ['existing-file', 'file.txt'], ['existing-dir', 'target']] as const;
    for (const [what, p] of aims) {
      add({ name: `traversal/${how}/${what}/file`, family: 'traversal', build: (t) => t.file(path(p), 'pwned\n', { mode: 0o777, mtime: M }) });
      add({ name: `traversal/${how}/${what}/dir`, family: 'traversal', build: (t) => t.dir(path(p), { mode: 0o700, mtime: M }) });
      add({ name: `traversal/${how}/${what}/symlink`, family: 'traversal', build: (t) => t.symlink(path(p), '/etc/passwd') });
      add({ name: `traversal/${how}/${what}/fifo`, family: 'traversal', build: (t) => t.device(path(p), '6', 0, 0) });
    }
    add({ name: `traversal/${how}/hardlink-name`, family: 'traversal', build: (t) => t.file('src', 'x').hardlink(path('trav-link'), 'src') });
  }

  // --- symlink tricks: a link out, then writes, dirs, links and metadata through it, at every depth.
  for (const [tn, target] of targets) {
    for (const depth of depths) {
      const p = under(depth);
      const base = `symlink/${tn}/depth${depth}`;
      add({ name: `${base}/write-through`, family: 'symlink', build: (t) => { parents(t, depth); t.symlink(`${p}l`, target).file(`${p}l/file.txt`, 'pwned\n').file(`${p}l/new.txt`, 'pwned\n'); } });
      add({ name: `${base}/mkdir-through`, family: 'symlink', build: (t) => { parents(t, depth); t.symlink(`${p}l`, target).dir(`${p}l/target/`, { mode: 0o700, mtime: M }).dir(`${p}l/newdir/`); } });
      add({ name: `${base}/dir-over-link`, family: 'symlink', build: (t) => { parents(t, depth); t.symlink(`${p}l`, `${target}/target`).dir(`${p}l/`, { mode: 0o700, mtime: M }); } });
      add({ name: `${base}/file-over-link`, family: 'symlink', build: (t) => { parents(t, depth); t.symlink(`${p}l`, `${target}/file.txt`).file(`${p}l`, 'pwned\n', { mode: 0o777, mtime: M }); } });
      add({ name: `${base}/hardlink-through`, family: 'hardlink', build: (t) => { parents(t, depth); t.symlink(`${p}l`, target).hardlink(`${p}h`, `${p}l/file.txt`).file(`${p}h`, 'pwned\n'); } });
      add({ name: `${base}/chain`, family: 'symlink', build: (t) => { parents(t, depth); t.symlink(`${p}l1`, `l2`).symlink(`${p}l2`, target).file(`${p}l1/chain.txt`, 'pwned\n'); } });
      add({ name: `${base}/whiteout-through`, family: 'whiteout', build: (t) => { parents(t, depth); t.symlink(`${p}l`, target).file(`${p}l/.wh.file.txt`).file(`${p}l/sub/.wh..wh..opq`); } });
    }
    add({ name: `symlink/${tn}/root-then-path`, family: 'symlink', build: (t) => t.symlink('r', '/').file(`r/${Vrel}/file.txt`, 'pwned\n').dir(`r/${Vrel}/target/`, { mtime: M }) });
    add({ name: `symlink/${tn}/hardlink-to-link-then-write`, family: 'hardlink', build: (t) => t.symlink('l', `${target}/file.txt`).hardlink('h', 'l').file('h', 'pwned\n') });
  }

  // --- hardlinks out of the root, then writes and metadata through them.
  for (const [tn, target] of [...targets, ['dotdot-name', '../file.txt'] as [string, string]]) {
    for (const victimFile of ['file.txt', 'hard1', 'target']) {
      const lt = tn === 'dotdot-name' ? `../${victimFile}` : `${target}/${victimFile}`;
      add({ name: `hardlink/${tn}/${victimFile}/link`, family: 'hardlink', build: (t) => t.hardlink('h', lt, { mode: 0o777, uid: 4242, mtime: M }) });
      add({ name: `hardlink/${tn}/${victimFile}/then-write`, family: 'hardlink', build: (t) => t.hardlink('h', lt).file('h', 'pwned\n', { mode: 0o777, mtime: M }) });
    }
  }

  // --- directory ↔ symlink swaps at every depth, with deferred directory metadata.
  const swapTargets: Array<[string, string, string]> = [...targets.map(([n, t]) => [n, t, ''] as [string, string, string]), ['root', '/', `${Vrel}/`]];
  for (const [tn, target, through] of swapTargets) {
    for (const depth of depths) {
      const p = under(depth);
      for (const [child, meta] of [['target', 'mtime'], ['target', 'mode'], ['sub/deeper', 'mtime']] as const) {
        const o = meta === 'mtime' ? { mtime: M } : { mode: 0o700 };
        add({
          name: `swap/${tn}/depth${depth}/${child.replace('/', '-')}/${meta}`,
          family: 'dir-swap',
          build: (t) => {
            parents(t, depth);
            t.dir(`${p}d/`);
            // Through '/', only the victim's own entries are named: the host's /tmp and / must not
            // get an entry (and its metadata) of the recipe even when the swap goes through.
            const parts = `${through}${child}`.split('/');
            const first = through === '' ? 1 : parts.length - child.split('/').length + 1;
            for (let i = first; i <= parts.length; i++) t.dir(`${p}d/${parts.slice(0, i).join('/')}/`, i === parts.length ? o : {});
            t.symlink(`${p}d`, target);
          },
        });
      }
      add({
        name: `swap/${tn}/depth${depth}/mention-again`,
        family: 'dir-swap',
        build: (t) => { parents(t, depth); t.dir(`${p}d/`).dir(`${p}d/${through}target/`).symlink(`${p}d`, target).dir(`${p}d/${through}target/`, { mtime: M, mode: 0o700 }); },
      });
    }
  }

  // --- PAX and GNU overrides.
  for (const [tn, target] of targets) {
    add({ name: `pax/${tn}/path-out`, family: 'pax', build: (t) => t.pax({ path: `${target}/pax-new` }).file('innocent', 'pwned\n') });
    add({ name: `pax/${tn}/path-existing`, family: 'pax', build: (t) => t.pax({ path: `${target}/file.txt` }).file('innocent', 'pwned\n', { mtime: M }) });
    add({ name: `pax/${tn}/linkpath-hardlink`, family: 'pax', build: (t) => t.pax({ linkpath: `${target}/file.txt` }).hardlink('h', 'innocent').file('h', 'pwned\n') });
    add({ name: `pax/${tn}/linkpath-symlink-write`, family: 'pax', build: (t) => t.pax({ linkpath: target }).symlink('l', 'innocent').file('l/new.txt', 'pwned\n') });
    add({ name: `pax/${tn}/global-path`, family: 'pax', build: (t) => t.pax({ path: `${target}/global-new` }, true).file('innocent', 'pwned\n'), absent: ['/renamed-global'] });
    add({ name: `pax/${tn}/global-linkpath`, family: 'pax', build: (t) => t.pax({ linkpath: target }, true).symlink('l', 'innocent').file('l/new.txt', 'pwned\n') });
    add({ name: `gnu/${tn}/longname-out`, family: 'gnu', build: (t) => t.gnuLong('L', `${target}/${'n'.repeat(120)}`).file('short', 'pwned\n') });
    add({ name: `gnu/${tn}/longlink-hardlink`, family: 'gnu', build: (t) => t.gnuLong('K', `${target}/file.txt`).hardlink('h', 'short').file('h', 'pwned\n') });
    add({ name: `gnu/${tn}/longlink-symlink`, family: 'gnu', build: (t) => t.gnuLong('K', target).symlink('l', 'short').file('l/new.txt', 'pwned\n') });
    add({ name: `ustar/${tn}/prefix-out`, family: 'pax', build: (t) => t.file('name.txt', 'pwned\n', { prefix: `${target}` }) });
  }
  add({ name: 'pax/global-path-renames-later', family: 'parser', build: (t) => t.pax({ path: 'renamed-global' }, true).file('orig', 'x'), absent: ['/renamed-global'] });
  add({ name: 'pax/global-linkpath-retargets', family: 'parser', build: (t) => t.pax({ linkpath: 'renamed-global' }, true).symlink('s', 'orig').file('renamed-global', 'x'), absent: [] });
  add({ name: 'parser/entry-after-end-marker', family: 'parser', build: (t) => t.file('before', 'x').end().file('after-eof', 'x'), absent: ['/after-eof'] });
  add({ name: 'parser/entry-after-end-marker-abs', family: 'parser', build: (t) => t.file('before', 'x').end().file(`${V}/after-eof`, 'pwned').symlink('after-link', V), absent: ['/after-eof', '/after-link'] });
  add({ name: 'parser/one-zero-block-then-entry', family: 'parser', build: (t) => t.file('before', 'x').raw(Buffer.alloc(512)).file('after-one-zero', 'x') });

  // --- malformed values: each must be a 4xx (or an error in the stream), never a 500.
  const paxValues: Array<[string, Record<string, string | Buffer>, string]> = [
    ['uid-2^32', { uid: '4294967296' }, '0'], ['uid-2^63', { uid: '9223372036854775808' }, '0'], ['uid-negative', { uid: '-1' }, '0'],
    ['uid-fraction', { uid: '1.5' }, '0'], ['gid-fraction', { gid: '2.5' }, '0'], ['gid-text', { gid: 'abc' }, '0'],
    ['mtime-minus-1e20', { mtime: '-1e20' }, '0'], ['mtime-1e20', { mtime: '100000000000000000000' }, '0'], ['mtime-nan', { mtime: 'NaN' }, '0'],
    ['atime-garbage', { atime: '1.2.3' }, '0'], ['size-lie-larger', { size: '99999' }, '0'], ['size-negative', { size: '-5' }, '0'],
    ['xattr-user-on-symlink', { 'SCHILY.xattr.user.x': 'v' }, '2'], ['xattr-capability-1-byte', { 'SCHILY.xattr.security.capability': Buffer.from([1]) }, '0'],
    ['xattr-capability-garbage', { 'SCHILY.xattr.security.capability': Buffer.alloc(40, 0xff) }, '0'], ['xattr-empty-name', { 'SCHILY.xattr.': 'v' }, '0'],
    ['xattr-trusted-overlay-redirect', { 'SCHILY.xattr.trusted.overlay.redirect': `${V}` }, '5'], ['xattr-trusted-overlay-opaque-file', { 'SCHILY.xattr.trusted.overlay.opaque': 'y' }, '0'],
    ['xattr-huge', { 'SCHILY.xattr.user.big': Buffer.alloc(70_000, 0x61) }, '0'], ['path-with-nul', { path: Buffer.from('a\0b') }, '0'],
    ['linkpath-with-nul', { linkpath: Buffer.from(`x\0${V}`) }, '2'], ['linkpath-empty', { linkpath: '' }, '2'], ['path-empty', { path: '' }, '0'],
    ['record-length-lie', { [`x`]: 'y'.repeat(10) }, '0'],
  ];
  for (const [n, rec, type] of paxValues) {
    add({ name: `malformed/pax/${n}`, family: 'malformed', build: (t) => t.pax(rec).entry({ name: type === '2' ? 'sl' : type === '5' ? 'dd/' : 'ff', type, linkname: type === '2' ? 'target' : '' }, type === '0' ? 'data' : '') });
  }
  add({ name: 'malformed/pax/bad-record-length', family: 'malformed', build: (t) => t.entry({ name: 'PaxHeader', type: 'x' }, '999 path=x\n').file('ff', 'x') });
  add({ name: 'malformed/pax/no-equals', family: 'malformed', build: (t) => t.entry({ name: 'PaxHeader', type: 'x' }, '11 pathxyz\n').file('ff', 'x') });
  const ids: Array<[string, object]> = [
    ['base256-negative-uid', { uid: -1n }], ['base256-negative-gid', { gid: -5n }], ['base256-huge-uid', { uid: 1n << 40n }], ['base256-negative-mtime', { mtime: -(1n << 40n) }],
    ['base256-huge-mtime', { mtime: 1n << 62n }], ['octal-garbage-uid', { uid: Buffer.from('zz\0') }], ['mode-huge', { mode: 0o7777777 }], ['mode-setuid-dir', { mode: 0o7777 }],
    ['size-garbage', { size: Buffer.from('notanumber\0') }], ['size-base256-negative', { size: -512n }],
  ];
  for (const [n, o] of ids) add({ name: `malformed/header/${n}`, family: 'malformed', build: (t) => t.entry({ name: n === 'mode-setuid-dir' ? 'dd/' : 'ff', type: n === 'mode-setuid-dir' ? '5' : '0', ...o }, 'data') });
  add({ name: 'malformed/name/component-256', family: 'malformed', build: (t) => t.pax({ path: `${'c'.repeat(256)}` }).file('ff', 'x') });
  add({ name: 'malformed/name/path-4097', family: 'malformed', build: (t) => t.pax({ path: Array.from({ length: 40 }, () => 'd'.repeat(100)).join('/') + '/' + 'e'.repeat(56) }).file('ff', 'x') });
  add({ name: 'malformed/name/gnu-path-5000', family: 'malformed', build: (t) => t.gnuLong('L', Array.from({ length: 50 }, () => 'd'.repeat(99)).join('/')).file('ff', 'x') });
  add({ name: 'malformed/name/symlink-target-5000', family: 'malformed', build: (t) => t.pax({ linkpath: 'x/'.repeat(2500) }).symlink('sl', 't') });
  add({ name: 'malformed/name/empty', family: 'malformed', build: (t) => t.file('', 'x') });
  add({ name: 'malformed/name/dot', family: 'malformed', build: (t) => t.file('.', 'x') });
  add({ name: 'malformed/name/slash', family: 'malformed', build: (t) => t.file('/', 'x') });
  add({ name: 'malformed/name/dotdot-dir', family: 'malformed', build: (t) => t.dir('../', { mode: 0o700, mtime: M }) });
  add({ name: 'malformed/name/dot-dir-mode', family: 'malformed', build: (t) => t.dir('./', { mode: 0o700, mtime: M }) });
  add({ name: 'malformed/symlink/empty-target', family: 'malformed', build: (t) => t.symlink('sl', '') });
  add({ name: 'malformed/symlink/named-dot', family: 'malformed', build: (t) => t.symlink('.', V) });
  add({ name: 'malformed/hardlink/empty-target', family: 'malformed', build: (t) => t.hardlink('h', '') });
  add({ name: 'malformed/hardlink/to-itself', family: 'malformed', build: (t) => t.hardlink('h', 'h') });
  add({ name: 'malformed/hardlink/to-missing', family: 'malformed', build: (t) => t.hardlink('h', 'nothing-here') });
  add({ name: 'malformed/hardlink/to-dir', family: 'malformed', build: (t) => t.dir('dd/').hardlink('h', 'dd') });
  add({ name: 'malformed/checksum/bad', family: 'malformed', build: (t) => t.file('ff', 'x', { checksum: 'bad' }) });
  add({ name: 'malformed/checksum/zero', family: 'malformed', build: (t) => t.file('ff', 'x', { checksum: 0 }) });
  add({ name: 'malformed/header/v7-no-magic', family: 'malformed', build: (t) => t.file('v7file', 'x', { magic: 'v7' }) });
  add({ name: 'malformed/header/all-ff', family: 'malformed', build: (t) => t.raw(Buffer.alloc(512, 0xff)) });
  add({ name: 'malformed/header/unknown-type', family: 'malformed', build: (t) => t.entry({ name: 'ff', type: 'Z' }, 'data') });
  add({ name: 'malformed/header/gnu-sparse', family: 'malformed', build: (t) => t.entry({ name: 'ff', type: 'S', magic: 'gnu' }, 'data') });
  add({ name: 'malformed/header/type-nul', family: 'malformed', build: (t) => t.entry({ name: 'ff', type: '\0' }, 'data') });

  // --- devices.
  const devs: Array<[string, '3' | '4' | '6', bigint | number, bigint | number]> = [
    ['char-null', '3', 1, 3], ['char-mem', '3', 1, 1], ['block-sda', '4', 8, 0], ['char-whiteout-nested', '3', 0, 0],
    ['major-2^31', '3', 2 ** 31, 0], ['minor-2^32', '3', 1, 2 ** 32], ['major-base256-huge', '4', 1n << 50n, 1n << 50n], ['major-negative', '3', -1n, -1n], ['fifo-with-numbers', '6', 7, 7],
  ];
  for (const [n, type, major, minor] of devs) add({ name: `device/${n}`, family: 'device', build: (t) => t.device(n === 'char-whiteout-nested' ? 'a/b/c' : 'dev0', type, major, minor) });
  for (const [tn, target] of targets) add({ name: `device/${tn}/through-symlink`, family: 'device', build: (t) => t.symlink('l', target).device('l/devnode', '3', 1, 3) });

  // --- whiteouts in odd places.
  const whiteouts = ['.wh...', '.wh..', '.wh.', 'a/.wh...', '.wh..wh..opq', 'a/.wh..wh..opq/', '.wh..wh..opq/x', `${DEEP}${Vrel}/.wh.file.txt`, `${V}/.wh.file.txt`, `${DEEP}${Vrel}/.wh..wh..opq`, '.wh.' + '../'.repeat(3) + 'x', `.wh.${DEEP}${Vrel}`];
  whiteouts.forEach((w, i) => add({ name: `whiteout/${i}-${w.replace(V, 'VICTIM').replace(DEEP, 'DEEP/').slice(0, 40)}`, family: 'whiteout', build: (t) => t.file(w) }));
  add({ name: 'whiteout/dir-named-like-whiteout', family: 'whiteout', build: (t) => t.dir('.wh.d/').file('.wh.d/x', 'x') });
  add({ name: 'whiteout/hardlink-to-whiteout', family: 'whiteout', build: (t) => t.file('.wh.a').hardlink('h', '.wh.a') });

  // --- lying sizes and trailing data.
  add({ name: 'size/larger-than-data', family: 'size', end: false, build: (t) => t.file('ff', 'short', { size: 4096 }) });
  add({ name: 'size/larger-then-entry-out', family: 'size', build: (t) => t.file('ff', 'short', { size: 1024 }).file(`${V}/size-out`, 'pwned') });
  add({ name: 'size/smaller-than-data', family: 'size', build: (t) => t.file('ff', Buffer.concat([Buffer.from('ab'), Buffer.alloc(510), tarHeaderBytes(`${DEEP}${Vrel}/smuggled`)]), { size: 2 }) });
  add({ name: 'size/huge-at-end', family: 'size', end: false, build: (t) => t.file('ff', 'x', { size: 1e12 }) });
  add({ name: 'size/dir-with-data', family: 'size', build: (t) => t.entry({ name: 'dd/', type: '5', size: 512 }, Buffer.alloc(512, 0x41)).file('after', 'x') });
  add({ name: 'size/symlink-with-data', family: 'size', build: (t) => t.entry({ name: 'sl', type: '2', linkname: 't', size: 1024 }, tarHeaderBytes(`${V}/smuggled`)).file('after', 'x') });
  add({ name: 'trailing/garbage-after-end', family: 'trailing', build: (t) => t.file('ff', 'x').end().raw(Buffer.alloc(700, 0x42)) });
  add({ name: 'trailing/no-end-marker', family: 'trailing', end: false, build: (t) => t.file('ff', 'x') });
  add({ name: 'trailing/half-block', family: 'trailing', end: false, build: (t) => t.file('ff', 'x').raw(Buffer.alloc(100, 0x43)) });
  add({ name: 'trailing/empty-archive', family: 'trailing', end: false, build: () => undefined });
  add({ name: 'trailing/only-end-marker', family: 'trailing', build: () => undefined });

  // --- compression: docker takes gzip, bzip2, xz (and zstd since v25); bounded bombs must not hang.
  for (const c of ['gzip', 'bzip2', 'xz', 'zstd'] as const) {
    add({ name: `compression/${c}/plain`, family: 'compression', compression: c, build: (t) => t.dir('cdir/').file('cdir/f', 'x') });
    add({ name: `compression/${c}/swap`, family: 'compression', compression: c, build: (t) => t.dir('d/').dir('d/target/', { mtime: M }).symlink('d', V) });
  }
  add({ name: 'compression/zstd/2GiB-window', family: 'compression', build: (t) => t.file('ff', 'x'), raw: zstdHugeWindow });
  add({ name: 'compression/gzip/truncated', family: 'compression', build: (t) => t.file('ff', 'x'.repeat(5000)), raw: (p) => gzipSync(p).subarray(0, 60) });
  add({ name: 'compression/gzip/garbage-after', family: 'compression', build: (t) => t.file('ff', 'x'), raw: (p) => Buffer.concat([gzipSync(p), Buffer.alloc(100, 0x44)]) });
  add({ name: 'compression/gzip/two-members', family: 'compression', build: (t) => t.file('ff', 'x'), raw: (p) => Buffer.concat([gzipSync(p.subarray(0, 1024)), gzipSync(p.subarray(1024))]) });
  add({ name: 'compression/gzip/member-after-end', family: 'compression', build: (t) => t.file('ff', 'x'), raw: (p) => Buffer.concat([gzipSync(p), gzipSync(tar().file('after-eof', 'x').end().bytes())]), absent: ['/after-eof'] });
  const bomb = (opts.bombMiB ?? 256) * 1024 * 1024;
  add({ name: `compression/gzip/bomb-file-${opts.bombMiB ?? 256}MiB`, family: 'bomb', build: (t) => t.file('zeros', Buffer.alloc(bomb)), raw: (p) => gzipBomb(p), routes: ['load', 'import', 'archive'] });
  add({ name: `compression/gzip/bomb-after-end-${opts.bombMiB ?? 256}MiB`, family: 'bomb', build: (t) => t.file('ff', 'x').end().raw(Buffer.alloc(bomb)), raw: (p) => gzipBomb(p), routes: ['load', 'import', 'archive'] });

  // --- build-context-only tricks: host files read as the Dockerfile or as ignore files.
  const ctx = (name: string, build: (t: TarWriter) => void, extra: Partial<Builder> = {}): void => add({ name: `context/${name}`, family: 'context', kind: 'context', build, ...extra });
  const leakCanary = /canary[^\n]*(not found|no such|does not exist)|no such file[^\n]*canary/i;
  for (const [tn, target] of targets) {
    ctx(`${tn}/lowercase-dockerfile-link`, (t) => t.symlink('dockerfile', `${target}/secret.Dockerfile`));
    ctx(`${tn}/Dockerfile-link`, (t) => t.symlink('Dockerfile', `${target}/secret.Dockerfile`));
    ctx(`${tn}/Dockerfile-link-via-dir`, (t) => t.symlink('dl', target), { dockerfile: 'dl/secret.Dockerfile' });
    ctx(`${tn}/dockerignore-link`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY canary /canary\n').file('canary', 'c').symlink('.dockerignore', `${target}/secret.ignore`), { leak: leakCanary });
    ctx(`${tn}/Dockerfile.dockerignore-link`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY canary /canary\n').file('canary', 'c').symlink('Dockerfile.dockerignore', `${target}/secret.ignore`), { leak: leakCanary });
    ctx(`${tn}/copy-two-sources`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY d1 d2 /dest/\n').dir('d1/').dir('d1/x/', { mtime: M, mode: 0o700 }).dir('d2/').symlink('d2/x', target));
    ctx(`${tn}/copy-two-sources-reversed`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY d2 d1 /dest/\n').dir('d1/').dir('d1/x/', { mtime: M, mode: 0o700 }).dir('d2/').symlink('d2/x', target));
    ctx(`${tn}/copy-two-sources-target`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY d2 d1 /dest/\n').dir('d1/').dir('d1/x/').dir('d1/x/target/', { mtime: M, mode: 0o700 }).dir('d2/').symlink('d2/x', target));
    ctx(`${tn}/copy-symlink-source`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY l /got\n').symlink('l', `${target}/secret.txt`), { absent: [] });
    ctx(`${tn}/copy-through-symlinked-dir`, (t) => t.file('Dockerfile', 'FROM busybox\nCOPY l/secret.txt /got\n').symlink('l', target));
    ctx(`${tn}/add-through-symlinked-dir`, (t) => t.file('Dockerfile', 'FROM busybox\nADD l/secret.txt /got\n').symlink('l', target));
    ctx(`${tn}/copy-dest-symlink-in-image`, (t) => t.file('Dockerfile', `FROM busybox\nRUN ln -s ${target} /out\nCOPY f /out/file.txt\n`).file('f', 'pwned'), { routes: ['context'] });
  }
  ctx('Dockerfile-link-etc-hostname', (t) => t.symlink('Dockerfile', '/etc/hostname'));
  ctx('dockerfile-query-dotdot-secret', (t) => t.file('canary', 'c'), { dockerfile: `${DEEP}${Vrel}/secret.Dockerfile` });
  ctx('dockerfile-query-dotdot-plain', (t) => t.file('canary', 'c'), { dockerfile: `${DEEP}${Vrel}/plain.Dockerfile`, leak: leakCanary });
  ctx('dockerfile-query-absolute', (t) => t.file('canary', 'c'), { dockerfile: `${V}/secret.Dockerfile` });
  ctx('dockerfile-query-inner-dotdot', (t) => t.file('canary', 'c').dir('a/'), { dockerfile: `a/${DEEP}${Vrel}/plain.Dockerfile`, leak: leakCanary });
  ctx('dockerignore-excludes-Dockerfile', (t) => t.file('Dockerfile', 'FROM busybox\nCOPY . /c/\n').file('.dockerignore', 'Dockerfile\n.dockerignore\n'));

  const out: Recipe[] = [];
  for (const b of list) {
    const t = tar();
    b.build(t);
    if (b.end !== false) t.end();
    const plain = t.bytes();
    const compression = b.compression ?? 'none';
    const bytes = b.raw ? b.raw(plain) : compress(compression, plain);
    out.push({
      name: b.name,
      family: b.family,
      kind: b.kind ?? 'layer',
      bytes,
      compression: b.raw ? (b.raw === zstdHugeWindow ? 'zstd' : 'gzip') : compression,
      diffId: sha256(plain),
      ...(b.dockerfile !== undefined ? { dockerfile: b.dockerfile } : {}),
      ...(b.absent ? { absent: b.absent } : {}),
      ...(b.leak ? { leak: b.leak } : {}),
      ...(b.routes ? { routes: b.routes } : {}),
    });
  }
  return out;
}

const bombs = new Map<string, Buffer>();
/** Bombs hold no victim path: compressed once per process, by content. */
function gzipBomb(plain: Buffer): Buffer {
  const key = `${plain.length}:${sha256(plain.subarray(0, 4096))}`;
  let b = bombs.get(key);
  if (!b) bombs.set(key, (b = gzipSync(plain, { level: 9 })));
  return b;
}

/** A header block naming `name` (a file of 0 bytes), for smuggling inside another entry's data. */
function tarHeaderBytes(name: string): Buffer {
  return tar().file(name, '').bytes();
}
