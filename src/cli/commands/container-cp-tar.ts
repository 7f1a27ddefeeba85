/**
 * The local half of `berth cp`: packing a host path into the tar the archive endpoint takes
 * (entries named as docker's TarResourceRebase names them), rebasing a tar's entry names, and
 * extracting a tar into a host directory (docker's Untar with NoLchown and NoOverwriteDirNonDir).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, realpath, rm, chmod, link, symlink, utimes, lutimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header, type Pack } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;
import { CopyError, rebaseName, splitPathDirEntry } from './container-cp-paths.js';

type EntryType = Header['type'];

function entryType(st: import('node:fs').Stats): EntryType | undefined {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return undefined; // sockets are not archived, as in docker
}

async function addEntry(pack: Pack, abs: string, name: string, hardlinks: Map<string, string>): Promise<void> {
  const st = await lstat(abs);
  const type = entryType(st);
  if (type === undefined) return;
  const header: Headers = {
    name: type === 'directory' && !name.endsWith('/') ? `${name}/` : name,
    mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, type,
  };
  if (type === 'symlink') header.linkname = await readlink(abs);
  if (type === 'character-device' || type === 'block-device') {
    header.devmajor = Math.floor(st.rdev / 256) & 0xfff;
    header.devminor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
  }
  const key = `${st.dev}:${st.ino}`;
  if (type === 'file' && st.nlink > 1) {
    const first = hardlinks.get(key);
    if (first !== undefined) {
      header.type = 'link';
      header.linkname = first;
    } else hardlinks.set(key, name);
  }
  if (header.type !== 'file') {
    await new Promise<void>((resolve, reject) => pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
    return;
  }
  header.size = st.size;
  await new Promise<void>((resolve, reject) => {
    const w = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    createReadStream(abs).on('error', reject).pipe(w);
  });
}

async function addTree(pack: Pack, abs: string, name: string, hardlinks: Map<string, string>): Promise<void> {
  await addEntry(pack, abs, name, hardlinks);
  if (!(await lstat(abs)).isDirectory()) return;
  const children = (await readdir(abs)).sort();
  for (const child of children) await addTree(pack, posix.join(abs, child), `${name}/${child}`, hardlinks);
}

/**
 * Tars a host path as docker's TarResourceRebase does: `dir` → `dir/`, `dir/x`…; `dir/.` →
 * `./`, `./x`…; a file as its base name. A rebase name replaces the first element.
 */
export function packLocalPath(srcPath: string, rebaseTo: string): Readable {
  const pack = tarStream.pack();
  const [dir, base] = splitPathDirEntry(srcPath);
  const root = base === '.' ? dir : posix.join(dir, base);
  const top = rebaseTo === '' ? base : rebaseTo;
  addTree(pack, root, top, new Map()).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return Readable.from(pack, { objectMode: false });
}

/** Renames the entries of a tar stream (docker's RebaseArchiveEntries). */
export function rebaseTar(input: Readable, from: string, to: string): Readable {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  extract.on('entry', (header, stream, next) => {
    const h: Headers = { ...header, name: rebaseName(header.name, from, to) };
    if (h.type === 'link' && h.linkname) h.linkname = rebaseName(h.linkname, from, to);
    stream.pipe(pack.entry(h, (err) => next(err)));
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (err: Error) => pack.destroy(err));
  input.on('error', (err: Error) => pack.destroy(err));
  input.pipe(extract);
  return Readable.from(pack, { objectMode: false });
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
}

async function existing(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

/**
 * Creates an entry's parent directories, after checking that the deepest one that exists does
 * not lead outside `dest` through a symlink an earlier entry planted.
 */
async function makeParent(realDest: string, parent: string, entryName: string, dest: string): Promise<void> {
  let probe = parent;
  while (!(await existing(probe))) probe = posix.dirname(probe);
  if (!within(realDest, await realpath(probe))) throw new CopyError(`${JSON.stringify(entryName)} is outside of ${JSON.stringify(dest)}`);
  await mkdir(parent, { recursive: true, mode: 0o755 });
}

/**
 * Extracts a tar under `dest`. Entries may not leave `dest`, lexically or through a symlink an
 * earlier entry created; an existing directory is never replaced by a non-directory (or the
 * reverse). Ownership is not applied (the client may not be root); devices and FIFOs are skipped.
 */
export async function extractTarTo(input: Readable, dest: string): Promise<void> {
  const realDest = await realpath(dest);
  const extract = tarStream.extract();
  input.on('error', (err: Error) => extract.destroy(err));
  // Piped only now: the iterator below must be listening before the first entry is emitted.
  input.pipe(extract);
  const dirs: Array<{ path: string; mtime: Date }> = [];
  for await (const entry of extract) {
    const h = entry.header;
    const name = posix.normalize(`/${h.name}`).slice(1);
    const path = name === '' ? dest : posix.join(dest, name);
    if (!within(posix.resolve(dest), posix.resolve(path))) throw new CopyError(`${JSON.stringify(h.name)} is outside of ${JSON.stringify(dest)}`);
    if (name !== '') await makeParent(realDest, posix.dirname(path), h.name, dest);
    const isDir = h.type === 'directory';
    const st = await existing(path);
    if (st) {
      if (st.isDirectory() && !isDir) throw new CopyError(`cannot overwrite directory ${JSON.stringify(path)} with non-directory ${JSON.stringify(dest)}`);
      if (!st.isDirectory() && isDir) throw new CopyError(`cannot overwrite non-directory ${JSON.stringify(path)} with directory ${JSON.stringify(dest)}`);
      if (!(st.isDirectory() && isDir)) await rm(path, { recursive: true, force: true });
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    switch (h.type) {
      case 'directory':
        if (!st) await mkdir(path, { mode });
        await chmod(path, mode);
        dirs.push({ path, mtime });
        entry.resume();
        continue;
      case 'file':
      case 'contiguous-file':
        await pipeline(entry, createWriteStream(path, { mode }));
        await chmod(path, mode);
        await utimes(path, mtime, mtime);
        continue;
      case 'symlink':
        entry.resume();
        await symlink(h.linkname ?? '', path);
        await lutimes(path, mtime, mtime).catch(() => undefined);
        continue;
      case 'link': {
        entry.resume();
        const target = posix.join(dest, posix.normalize(`/${h.linkname ?? ''}`).slice(1));
        if (!within(posix.resolve(dest), target)) throw new CopyError(`invalid hardlink ${JSON.stringify(h.linkname)} -> ${JSON.stringify(h.name)}`);
        await link(target, path);
        continue;
      }
      default:
        entry.resume();
    }
  }
  // Directory times last: creating entries inside them changed their mtime.
  for (const d of dirs.reverse()) await utimes(d.path, d.mtime, d.mtime);
}
