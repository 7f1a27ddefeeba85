import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { IgnoreMatcher, readIgnoreFile } from '../../core/dockerignore.js';
import { InvalidParameterError, NotFoundError, errnoCode } from '../../core/errors.js';
import { pathMatchRegExp, PatternSyntaxError } from '../../core/path-match.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import { extractArchive } from '../rootfs/index.js';
import { compareNames, walkTree } from '../../drivers/fs-tree/walk-tree.js';
import { decompressInput } from '../../core/compression.js';
import { plainEntries, readUpTo, SMALL_CONTEXT_BYTES, writePlainEntries } from './small-context.js';

/** A file or directory a COPY/ADD takes from a source tree (the context, a stage, an image). */
export interface SourceItem {
  /** The path as written (after expansion), for messages. */
  given: string;
  /** Absolute path on the host, symlinks resolved inside the source root. */
  abs: string;
  isDir: boolean;
}

/** A tree COPY and ADD read from: the build context, or another stage's or image's rootfs. */
export class SourceTree {
  constructor(
    readonly root: string,
    private readonly matcher: IgnoreMatcher | null,
    /** Only the build context refuses paths that climb out of it. */
    private readonly isContext: boolean,
    /**
     * The tree is known to be small (a context unpacked by writePlainEntries): hashing reads it
     * with synchronous calls, a few microseconds each instead of a thread-pool round trip.
     */
    private readonly small = false,
  ) {}

  /** resolve's and hashItem's answers, kept while the tree is small and unchanged (see taint). */
  private readonly resolved = new Map<string, readonly SourceItem[]>();
  private readonly digests = new Map<string, string>();
  private tainted = false;

  /** Something may have written below the root (a RUN's read-write bind mount of it): nothing known about it holds. */
  taint(): void {
    this.tainted = true;
    this.resolved.clear();
    this.digests.clear();
  }

  /** A small tree nothing has written to since it was unpacked: another build of the same tar may use it as it is. */
  get reusable(): boolean {
    return this.small && !this.tainted;
  }

  excluded(rel: string): boolean {
    return this.matcher !== null && !this.matcher.empty && this.matcher.excludes(rel);
  }

  /** Resolves one source argument (wildcards allowed) to the items it names. */
  async resolve(src: string, cmd: string): Promise<SourceItem[]> {
    const known = this.reusable ? this.resolved.get(src) : undefined;
    if (known) return known.map((item) => ({ ...item }));
    const items = await this.resolveUncached(src, cmd);
    if (this.reusable) this.resolved.set(src, items.map((item) => ({ ...item })));
    return items;
  }

  private async resolveUncached(src: string, cmd: string): Promise<SourceItem[]> {
    const normalized = posix.normalize(src.replace(/^\/+/, '') || '.');
    if (this.isContext && (normalized === '..' || normalized.startsWith('../'))) {
      throw new InvalidParameterError(`${cmd} failed: forbidden path outside the build context: ${src} ()`);
    }
    if (/[*?[]/.test(normalized)) return this.glob(normalized, src, cmd);
    const abs = await resolveInRoot(this.root, normalized);
    const rel = abs.slice(this.root.length + 1);
    const st = await lstat(abs).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
      throw err;
    });
    if (st === null || (rel !== '' && this.excluded(rel))) {
      const where = this.isContext ? 'file not found in build context or excluded by .dockerignore: ' : '';
      throw new NotFoundError(`${cmd} failed: ${where}stat ${normalized}: file does not exist`);
    }
    return [{ given: src, abs, isDir: st.isDirectory() }];
  }

  private async glob(pattern: string, src: string, cmd: string): Promise<SourceItem[]> {
    const re = globRegExp(pattern);
    const depth = pattern.split('/').length;
    const out: SourceItem[] = [];
    for await (const e of walkTree(this.root)) {
      if (e.rel.split('/').length !== depth || !re.test(e.rel) || this.excluded(e.rel)) continue;
      const abs = e.meta.kind === 'symlink' ? await resolveInRoot(this.root, e.rel) : e.abs;
      const st = await lstat(abs).catch(() => null);
      if (st !== null) out.push({ given: e.rel, abs, isDir: st.isDirectory() });
    }
    if (out.length === 0) throw new NotFoundError(`${cmd} failed: no source files were specified`);
    void src;
    return out;
  }

  /**
   * A digest of everything an item would copy: names, modes, owners, sizes and contents (not
   * mtimes, which docker's tarsum leaves out too), so any change to a source misses the cache.
   */
  async hashItem(item: SourceItem): Promise<string> {
    if (this.reusable) {
      const key = `${item.isDir ? 'dir' : 'file'}:${item.abs}`;
      const known = this.digests.get(key) ?? this.hashItemSync(item);
      this.digests.set(key, known);
      return known;
    }
    const paths: Array<[string, string]> = [[item.abs, '.']];
    if (item.isDir) {
      const base = item.abs.slice(this.root.length + 1);
      for await (const e of walkTree(item.abs)) {
        if (!this.excluded(base === '' ? e.rel : `${base}/${e.rel}`)) paths.push([e.abs, e.rel]);
      }
    }
    // Each file is digested on its own, in parallel (a cached build spends its time here), then combined in order.
    const parts: string[] = [];
    for (let i = 0; i < paths.length; i += HASH_PARALLEL) {
      parts.push(...(await Promise.all(paths.slice(i, i + HASH_PARALLEL).map(([abs, rel]) => entryDigest(abs, rel)))));
    }
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  /** hashItem of a small tree: the same walk (parents first, names in byte order) and digests, synchronously. */
  private hashItemSync(item: SourceItem): string {
    const parts = [entryDigestSync(item.abs, '.')];
    const base = item.abs.slice(this.root.length + 1);
    const walk = (dir: string, rel: string): void => {
      for (const name of readdirSync(dir).sort(compareNames)) {
        const childRel = rel === '' ? name : `${rel}/${name}`;
        const abs = `${dir}/${name}`;
        const st = lstatSync(abs);
        if (!this.excluded(base === '' ? childRel : `${base}/${childRel}`)) parts.push(entryDigestSync(abs, childRel, st));
        if (st.isDirectory()) walk(abs, childRel);
      }
    };
    if (item.isDir) walk(item.abs, '');
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  }
}

const HASH_PARALLEL = 16;
/** Files up to this size are read at once; bigger ones streamed, so memory stays bounded. */
const SMALL_FILE = 4 << 20;

/** What an entry's digest covers besides its content: name, mode, owner and size (not mtime). */
function entryHash(rel: string, st: Stats): ReturnType<typeof createHash> {
  return createHash('sha256').update(`${rel}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0`);
}

async function entryDigest(abs: string, rel: string): Promise<string> {
  const st = await lstat(abs);
  const h = entryHash(rel, st);
  if (st.isSymbolicLink()) h.update(await readlink(abs));
  else if (st.isFile() && st.size <= SMALL_FILE) h.update(await readFile(abs));
  else if (st.isFile()) for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function entryDigestSync(abs: string, rel: string, st = lstatSync(abs)): string {
  const h = entryHash(rel, st);
  if (st.isSymbolicLink()) h.update(readlinkSync(abs));
  else if (st.isFile()) h.update(readFileSync(abs));
  return h.digest('hex');
}

/** COPY/ADD source wildcards are filepath.Match patterns. */
function globRegExp(pattern: string): RegExp {
  try {
    return pathMatchRegExp(pattern);
  } catch (err) {
    if (err instanceof PatternSyntaxError) throw new InvalidParameterError(`syntax error in pattern: ${pattern}`);
    throw err;
  }
}

/**
 * The docker CLI's context tar for `-f -` ends right after the last file's data, without the
 * block padding and the end-of-archive blocks (Go's ReplaceFileTarWrapper leaves them out;
 * dockerd accepts that).
 */
async function* withEndPadding(tar: Readable): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of tar) {
    total += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  // The tar reader accepts an archive that stops at a block boundary; complete the last block.
  if (total % 512 !== 0) yield Buffer.alloc(512 - (total % 512));
}

/** The build context: the request's tar unpacked into a directory of its own, removed at the end. */
export class BuildContext {
  private constructor(
    readonly dir: string,
    readonly tree: SourceTree,
    /** A context unpacked by writePlainEntries: its files' contents by path, nothing else being a file. */
    private readonly files: ReadonlyMap<string, Buffer> | null,
  ) {}

  /**
   * A file of the context (else undefined), read inside it: an ignore file that is a symlink (or
   * a Dockerfile name with `..`) leads to a file of the context or to none, never to one of the
   * host's. A plain context has no symlinks, so its copy in memory answers the same.
   */
  private static async readFile(dir: string, files: ReadonlyMap<string, Buffer> | null, name: string): Promise<Buffer | undefined> {
    if (files) return files.get(posix.normalize(`/${name}`).slice(1));
    return await RootedFs.with(dir, (fs) => fs.readFile(name));
  }

  /** The request's context tar, decompressed: whole when it is small (see SMALL_CONTEXT_BYTES). */
  static async read(body: Readable): Promise<{ all: Buffer } | { rest: Readable }> {
    return await readUpTo(Readable.from(withEndPadding(await decompressInput(body))), SMALL_CONTEXT_BYTES);
  }

  /** Unpacks a context tar (from read) into `dir` and reads its .dockerignore. */
  static async unpack(dir: string, tar: { all: Buffer } | { rest: Readable }, dockerfileName: string, log: (m: string) => void): Promise<BuildContext> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let plain;
    try {
      plain = 'all' in tar ? await plainEntries(tar.all) : undefined;
      if (plain) writePlainEntries(dir, plain);
      else await extractArchive({ root: dir, destPath: '/' }, 'all' in tar ? Readable.from([tar.all]) : tar.rest, { noOverwriteDirNonDir: false, owner: null, log });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const files = plain ? new Map(plain.flatMap((e) => (e.data ? [[e.h.path, e.data] as const] : []))) : null;
    const ignore = (await BuildContext.readFile(dir, files, `${dockerfileName}.dockerignore`)) ?? (await BuildContext.readFile(dir, files, '.dockerignore'));
    const matcher = ignore === undefined ? null : new IgnoreMatcher(readIgnoreFile(ignore.toString('utf8')));
    return new BuildContext(dir, new SourceTree(dir, matcher, true, plain !== undefined), files);
  }

  /** The Dockerfile's text; `name` is relative to the context (the CLI sends it inside the tar). */
  async dockerfile(name: string): Promise<string> {
    // Resolved inside the context as docker's ResolveScopedPath does: `..`, absolute names and
    // symlinks (`Dockerfile -> /etc/shadow`) all stay in it.
    const found = await BuildContext.readFile(this.dir, this.files, name);
    // Docker also accepts the lower-case name when the default one is missing.
    const text = found ?? (name === 'Dockerfile' ? await BuildContext.readFile(this.dir, this.files, 'dockerfile') : undefined);
    if (text === undefined) throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${name}`);
    const dockerfile = text.toString('utf8');
    if (dockerfile.trim() === '') throw new InvalidParameterError(`the Dockerfile (${name}) cannot be empty`);
    return dockerfile;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
