import { posix, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import { decompressInput } from '../../core/compression.js';
import { extractArchive } from './extract-archive.js';
import { readMetaOrNull, type FileMeta } from '../../drivers/fs-tree/file-meta.js';
import type { LiveMounts } from '../../drivers/fs-tree/live-mounts.js';
import { readXattrs, readXattrTree } from '../../drivers/fs-tree/read-xattrs.js';
import { goFileMode, rfc3339Nano } from './stat-format.js';
import { packTar } from '../../drivers/fs-tree/tar-packer.js';
import { walkTree } from '../../drivers/fs-tree/walk-tree.js';

/** docker's ContainerPathStat, sent base64-encoded in `X-Docker-Container-Path-Stat`. */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go FileMode bits, unsigned. */
  mode: number;
  /** RFC 3339 with nanoseconds. */
  mtime: string;
  /** For a symlink: where it leads, fully resolved inside the container; else ''. */
  linkTarget: string;
}

interface Located {
  /** The path as docker cleans it, trailing `/` or `/.` kept (they mean "follow" and "contents"). */
  absPath: string;
  host: string;
  meta: FileMeta;
  stat: ContainerPathStat;
}

/**
 * `HEAD /containers/{id}/archive?path=`: the path's directory part is resolved inside the
 * container root, its last component is not followed (a symlink is described as one, with its
 * target), unless the path ends in `/`. `containerName` is the name the user gave, for messages.
 */
export async function statPath(root: string, path: string, containerName: string): Promise<ContainerPathStat> {
  return (await locate(resolve(root), path, containerName)).stat;
}

/**
 * `GET /containers/{id}/archive?path=`: the stat and a tar of the path, rebased as docker's
 * TarResourceRebase does: entries start with the requested base name (`/etc` gives `etc/`,
 * `etc/passwd`…; `/etc/.` gives `./`, `./passwd`; `/` gives `/`, `/bin`…), a directory with
 * everything below it, anything else (a symlink too) as the one entry. Missing path: NotFoundError.
 */
export async function getArchive(
  rootPath: string,
  path: string,
  containerName: string,
  log?: (msg: string) => void,
  /** Set when `rootPath` is a running container's `/proc/<pid>/root` (see live-mounts.ts). */
  live?: LiveMounts,
): Promise<{ stat: ContainerPathStat; tar: Readable }> {
  const root = resolve(rootPath);
  const found = await locate(root, path, containerName);
  const source = resolve(found.host); // drops the trailing `/` or `/.`
  const tar = packTar({ confineTo: root, mountIds: live?.ids, ...(log ? { log } : {}) }, async (packer) => {
    if (found.meta.kind !== 'directory') {
      const xattrs = await readXattrs([source]);
      return await packer.addPath(source, found.stat.name, found.meta, xattrs.get(source));
    }
    // The root's rebase name `/` is replaced by nothing, so its entries are `/`, `/bin`… as in docker.
    const base = found.stat.name === '/' ? '' : found.stat.name;
    const entries = [{ abs: source, rel: '', meta: found.meta }];
    if (!live?.pruned.has(source)) for await (const entry of walkTree(source, '', live?.pruned)) entries.push(entry);
    // Listed first, then read per file: getfattr -R would descend into the pruned kernel filesystems.
    const xattrs = live ? await readXattrs(entries.map((e) => e.abs)) : await readXattrTree(source);
    for (const e of entries) await packer.addPath(e.abs, e.rel === '' ? base : `${base}/${e.rel}`, e.meta, xattrs.get(e.abs));
  });
  return { stat: found.stat, tar };
}

export interface PutArchiveOptions {
  containerName: string;
  noOverwriteDirNonDir: boolean;
  /** `docker cp -a`: entries get `owner` (the container's user; root by default), not the archive's ids. */
  copyUIDGID: boolean;
  owner?: { uid: number; gid: number } | undefined;
  /** Throws when the destination (a clean container path, symlinks resolved) may not be written. */
  checkWritable?: ((containerPath: string) => void) | undefined;
  log?: ((msg: string) => void) | undefined;
}

/**
 * `PUT /containers/{id}/archive?path=`: extracts a tar (plain, gzip or zstd) into the directory at
 * `path`, which must exist; a symlink there is followed, inside the container. See extractArchive
 * for how entries are confined to the container root.
 */
export async function putArchive(rootPath: string, path: string, tar: Readable, opts: PutArchiveOptions): Promise<void> {
  const root = resolve(rootPath);
  const dest = await resolveChecked(root, containerAbsPath(path), path);
  // A running container's root is /proc/<pid>/root, a link to lstat: `/.` is the directory.
  const meta = await readMetaOrNull(dest === root ? `${root}/.` : dest);
  if (meta === null) throw notFound(path, opts.containerName);
  if (meta.kind !== 'directory') throw new InvalidParameterError('extraction point is not a directory');
  const destPath = posix.join('/', relative(root, dest));
  opts.checkWritable?.(destPath);
  await extractArchive({ root, destPath }, await decompressInput(tar), {
    noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
    danglingLinksFail: true,
    owner: opts.copyUIDGID ? (opts.owner ?? { uid: 0, gid: 0 }) : null,
    log: opts.log ?? (() => undefined),
  });
}

/** docker's ResolvePath + StatPath: resolve the directory part, keep the base name as given. */
async function locate(root: string, path: string, containerName: string): Promise<Located> {
  const absPath = containerAbsPath(path);
  const slash = absPath.lastIndexOf('/');
  const dir = await resolveChecked(root, absPath.slice(0, slash + 1), path);
  const base = absPath.slice(slash + 1);
  // A trailing slash stays: lstat then requires a directory, as docker's does.
  const host = `${dir}/${base}`;
  const meta = await readMetaOrNull(host);
  if (meta === null) throw notFound(path, containerName);
  const linkTarget = meta.kind === 'symlink' ? posix.join('/', relative(root, await resolveChecked(root, absPath, path))) : '';
  const stat: ContainerPathStat = { name: goBase(absPath), size: meta.size, mode: goFileMode(meta), mtime: rfc3339Nano(meta.mtimeNs), linkTarget };
  return { absPath, host, meta, stat };
}

/** The path made absolute and clean, with a trailing `/` or `/.` kept (docker's PreserveTrailingDotOrSeparator). */
function containerAbsPath(path: string): string {
  let clean = posix.join('/', path);
  if (posix.basename(clean) !== '.' && /(^|\/)\.\/*$/.test(path)) clean = clean.endsWith('/') ? `${clean}.` : `${clean}/.`;
  if (!clean.endsWith('/') && path.endsWith('/')) clean += '/';
  return clean;
}

/** Go's filepath.Base: trailing slashes ignored, `/` for the root. */
function goBase(absPath: string): string {
  const trimmed = absPath.replace(/\/+$/, '');
  return trimmed === '' ? '/' : posix.basename(trimmed);
}

async function resolveChecked(root: string, containerPath: string, asGiven: string): Promise<string> {
  try {
    return await resolveInRoot(root, containerPath);
  } catch (err) {
    if (err instanceof InvalidParameterError) throw new InvalidParameterError(`cannot resolve "${asGiven}" in the container: too many levels of symbolic links`, { cause: err });
    throw err;
  }
}

function notFound(path: string, containerName: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${path} in container ${containerName}`);
}
