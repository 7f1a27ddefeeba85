import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { IgnoreMatcher, readIgnoreFile } from '../../core/dockerignore.js';
import { InvalidParameterError, NotFoundError, errnoCode } from '../../core/errors.js';
import { pathMatchRegExp, PatternSyntaxError } from '../../core/path-match.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import { extractArchive } from '../rootfs/index.js';
import { walkTree } from '../../drivers/fs-tree/walk-tree.js';
import { decompressInput } from '../../core/compression.js';

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
  ) {}

  excluded(rel: string): boolean {
    return this.matcher !== null && !this.matcher.empty && this.matcher.excludes(rel);
  }

  /** Resolves one source argument (wildcards allowed) to the items it names. */
  async resolve(src: string, cmd: string): Promise<SourceItem[]> {
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
}

const HASH_PARALLEL = 16;
/** Files up to this size are read at once; bigger ones streamed, so memory stays bounded. */
const SMALL_FILE = 4 << 20;

async function entryDigest(abs: string, rel: string): Promise<string> {
  const st = await lstat(abs);
  const h = createHash('sha256').update(`${rel}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0`);
  if (st.isSymbolicLink()) h.update(await readlink(abs));
  else if (st.isFile() && st.size <= SMALL_FILE) h.update(await readFile(abs));
  else if (st.isFile()) for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
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
  ) {}

  /** Unpacks the (possibly compressed) context tar and reads its .dockerignore. */
  static async extract(dir: string, body: Readable, dockerfileName: string, log: (m: string) => void): Promise<BuildContext> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await extractArchive({ root: dir, destPath: '/' }, Readable.from(withEndPadding(await decompressInput(body))), { noOverwriteDirNonDir: false, owner: null, log });
    // Read inside the context: an ignore file that is a symlink (or a Dockerfile name with `..`)
    // leads to a file of the context or to none, never to one of the host's.
    const ignore = await RootedFs.with(dir, async (fs) => (await fs.readFile(`${dockerfileName}.dockerignore`)) ?? (await fs.readFile('.dockerignore')));
    const matcher = ignore === undefined ? null : new IgnoreMatcher(readIgnoreFile(ignore.toString('utf8')));
    return new BuildContext(dir, new SourceTree(dir, matcher, true));
  }

  /** The Dockerfile's text; `name` is relative to the context (the CLI sends it inside the tar). */
  async dockerfile(name: string): Promise<string> {
    // Resolved inside the context as docker's ResolveScopedPath does: `..`, absolute names and
    // symlinks (`Dockerfile -> /etc/shadow`) all stay in it.
    const text = await RootedFs.with(this.dir, async (fs) => {
      const found = await fs.readFile(name);
      // Docker also accepts the lower-case name when the default one is missing.
      return found ?? (name === 'Dockerfile' ? await fs.readFile('dockerfile') : undefined);
    });
    if (text === undefined) throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${name}`);
    const dockerfile = text.toString('utf8');
    if (dockerfile.trim() === '') throw new InvalidParameterError(`the Dockerfile (${name}) cannot be empty`);
    return dockerfile;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
